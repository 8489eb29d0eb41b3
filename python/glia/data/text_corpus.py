"""A real English-and-code text that every Python install has offline: a fixed slice of
the standard library's own source files (docstrings, comments and code written by people)."""
import os
from pathlib import Path

# Pure-Python modules shipped with every CPython 3.9+, read in this fixed order.
STDLIB_FILES = (
    "textwrap.py", "string.py", "functools.py", "argparse.py", "random.py", "heapq.py",
    "bisect.py", "fractions.py", "difflib.py", "shlex.py", "calendar.py", "statistics.py",
)


def load_text_corpus(max_chars=None):
    """Returns the concatenated source of `STDLIB_FILES` (about 0.5 MB of text), cut to
    `max_chars` characters when given. Same text on every machine with the same Python."""
    if max_chars is not None and max_chars < 0:
        raise ValueError(f"[load_text_corpus] max_chars must be >= 0, got {max_chars}")
    root = Path(os.__file__).parent
    parts = [(root / name).read_text(encoding="utf-8") for name in STDLIB_FILES
             if (root / name).is_file()]
    if not parts:
        raise FileNotFoundError(
            f"[load_text_corpus] no standard-library source files found under {root}; "
            "this Python install ships only compiled modules")
    text = "\n".join(parts)
    return text if max_chars is None else text[:max_chars]
