"""Atomic JSON files for tokenizers and vocabularies."""
import json

from glia._atomic import atomic_write


def save_json_atomic(obj, path):
    """Writes `obj` as JSON to `path` through a temporary file in the same folder and a
    rename, so a crash never leaves a half-written file behind."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)


def load_json(path, kind, op):
    """Reads a JSON object written by `save_json_atomic` and checks its "type" is `kind`."""
    with open(path, encoding="utf-8") as f:
        try:
            obj = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{op}: {path} is not valid JSON ({e})") from None
    if not isinstance(obj, dict) or obj.get("type") != kind:
        found = obj.get("type") if isinstance(obj, dict) else type(obj).__name__
        raise ValueError(f"{op}: {path} does not hold a {kind} (found {found!r})")
    return obj
