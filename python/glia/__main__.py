"""python -m glia demo [--out DIR] [--epochs N] [--seed S] | --cmakedir | --includedir | --version"""
import argparse
import os
import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["demo"]:  # the demo parses its own options (and its own --help)
        from glia.demo import main as demo

        return demo(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m glia", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["demo"], help="run the demo")
    parser.add_argument("--cmakedir", action="store_true",
                        help="print the folder to pass as glia_DIR to CMake's find_package(glia)")
    parser.add_argument("--includedir", action="store_true", help="print the C++ include folder")
    parser.add_argument("--version", action="store_true")
    args = parser.parse_args(argv)
    here = os.path.dirname(os.path.abspath(__file__))
    if args.cmakedir:
        print(os.path.join(here, "lib", "cmake", "glia"))
    elif args.includedir:
        print(os.path.join(here, "include"))
    elif args.version:
        import glia

        print(glia.__version__)
    elif args.command == "demo":
        from glia.demo import main as demo

        return demo([])
    else:
        parser.print_help()
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
