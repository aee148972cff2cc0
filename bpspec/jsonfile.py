"""Reading JSON as untrusted data: one-line errors naming the file and line or the field (spec CLI-1).

Python's ``json`` module is lenient where a data file must not be: it keeps the last of two equal keys
silently, accepts ``NaN`` and ``Infinity``, and raises ``RecursionError`` or a bare ``ValueError`` on
deeply nested or enormous input. ``loads`` and ``read`` refuse each of these with an ``InputError``
whose message is one line: the file, the line where the parser knows it, else the path of the field
(``[3].conventions``), and the problem. Nothing is ever evaluated: JSON is parsed as data only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bpspec.errors import InputError


class _Checked(dict):
    """A JSON object that named one of its keys twice; ``duplicate`` is that key."""

    duplicate: str | None = None


class _Constant:
    """Stands for a ``NaN``, ``Infinity`` or ``-Infinity`` token until the whole text is parsed."""

    def __init__(self, token: str) -> None:
        self.token = token


def _hooks(found: list) -> tuple:
    """The parser hooks: flag repeated keys and non-finite constants, noting in ``found`` that the
    text has one, so that only a faulty text is walked again to name the field."""

    def obj(pairs: list[tuple[str, Any]]) -> dict:
        d = dict(pairs)
        if len(d) == len(pairs):
            return d
        flagged = _Checked(d)
        seen: set[str] = set()
        flagged.duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
        found.append(flagged)
        return flagged

    def constant(token: str) -> _Constant:
        found.append(token)
        return _Constant(token)

    return obj, constant


def _first_problem(obj: Any) -> tuple[str, str] | None:
    """``(where, problem)`` of the first repeated key or non-finite constant, walking iteratively."""
    todo: list[tuple[str, Any]] = [("", obj)]
    while todo:
        where, node = todo.pop()
        if isinstance(node, _Checked):
            return where, f"key {node.duplicate!r} appears twice in one object"
        if isinstance(node, _Constant):
            return where, f"{node.token} is not a JSON number (JSON has no NaN or Infinity)"
        if isinstance(node, dict):
            todo += [(f"{where}.{k}" if where else str(k), v) for k, v in reversed(node.items())]
        elif isinstance(node, list):
            todo += [(f"{where}[{i}]", v) for i, v in reversed(list(enumerate(node)))]
    return None


def loads(text: str, path: Path | str, line: int | None = None) -> Any:
    """Parse ``text`` read from ``path`` (``line``: its line number in a JSON-lines file); every error
    starts with ``path`` and, where known, the line."""
    import json

    where = f"{path}:{line}" if line else str(path)
    if text.startswith("\ufeff"):
        raise InputError(f"{where}: byte-order mark before the JSON; save as plain UTF-8")
    if not text.strip():
        raise InputError(f"{where}: empty; expected JSON")
    try:
        found: list = []
        hook, constant = _hooks(found)
        obj = json.loads(text, object_pairs_hook=hook, parse_constant=constant)
    except json.JSONDecodeError as err:
        problem = f"not valid JSON ({err.msg}, column {err.colno})"
        raise InputError(f"{path}:{line or err.lineno}: {problem}") from None
    except RecursionError:
        raise InputError(f"{where}: nested too deeply to be read as JSON") from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise InputError(f"{where}: not readable as JSON ({str(err).split(';')[0]})") from None
    problem = _first_problem(obj) if found else None
    if problem:
        field, message = problem
        raise InputError(f"{where}: {field + ': ' if field else ''}{message}")
    return obj


def read(path: Path | str, what: str = "JSON file") -> Any:
    """Read and parse one JSON file (UTF-8, no byte-order mark); errors name the file and line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read the {what} ({err.strerror})") from None
    return loads(decode(raw, path), path)


def decode(raw: bytes, path: Path | str) -> str:
    """``raw`` as UTF-8 text; the error names the line of the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[err.start]:02x})") from None
