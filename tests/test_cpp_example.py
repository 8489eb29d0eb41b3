"""The C++ example in examples/cpp builds against the installed package (find_package(glia))
and trains a model with no Python at run time."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _cmakedir():
    out = subprocess.run([sys.executable, "-m", "glia", "--cmakedir"], capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not os.path.isfile(os.path.join(_cmakedir(), "gliaConfig.cmake")),
                    reason="glia is not pip-installed here (development checkout without lib/cmake)")
def test_cpp_example_builds_and_fits(tmp_path):
    cmake = shutil.which("cmake")
    assert cmake, "cmake is needed to build the C++ example"
    build = tmp_path / "build"
    subprocess.run([cmake, "-S", os.path.join(ROOT, "examples", "cpp"), "-B", str(build),
                    f"-Dglia_DIR={_cmakedir()}", "-DCMAKE_BUILD_TYPE=Release"],
                   check=True, capture_output=True)
    subprocess.run([cmake, "--build", str(build)], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    run = subprocess.run([str(build / "fit_line")], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "fit ok" in run.stdout
