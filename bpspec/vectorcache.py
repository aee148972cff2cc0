"""The parsed-vector cache: a suite's validated (and annotated) values, stored by content hash (spec VEC-7).

Parsing and validating a suite's CSV (VEC-4), and annotating its rows where the caller asks (CHK-2),
give the same frame whenever the suite's two files have the same bytes, so once done the frame is
stored, keyed by the suite name, the SHA-256 of both files, the annotator's name, the pandas and
NumPy versions and ``CACHE_FORMAT``, and later loads of the same bytes read it back instead. The
caller (``vectorset.load``) still verifies both files against the manifest on every load (VEC-5);
the cache only replaces the parsing.

An entry is one file read as data only, never unpickled (CLI-5): a magic line, a JSON header (the
key, which must match exactly, the columns, a CRC-32 of the payload) and the payload, raw arrays
taken with ``np.frombuffer``: each numeric column as it is, each string column as integer codes into
its distinct values, held as newline-joined UTF-8 (no valid cell holds a newline). It reads faster
than ``.npz`` (measured: 2 against 7 ms for a small suite), and no loader that could unpickle is
involved. Entries are written atomically (VEC-6). Any failure (an unwritable folder; a missing,
truncated, corrupted or foreign entry) is a miss or a skipped write, never an error and never a
different frame.

The folder is ``$BPSPEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/bpspec``, else ``~/.cache/bpspec``;
``BPSPEC_CACHE_DIR=off`` or empty disables the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from bpspec import atomic

CACHE_FORMAT = 3
"""Bump whenever what a load produces changes: ``vectorfile`` parsing or validation, the checks of
``vectorset.load``, ``names.parse_all``, ``conformance.index.annotate`` (or any other annotator
passed to ``vectorset.load``), or this file's layout. Entries of another format are then never read
(their key differs) and age out."""

ENV = "BPSPEC_CACHE_DIR"
SUFFIX = ".vectors"
MAX_ENTRIES = 32
"""Entries kept in the folder; beyond that the least recently used are removed on each write."""

MAGIC = b"bpspec parsed vectors\n"
_NUMERIC = "biuf"
_ALIGN = 8


def folder() -> Path | None:
    """The cache folder, or ``None`` when ``BPSPEC_CACHE_DIR`` is ``off`` or empty (VEC-7)."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        return None if chosen.strip() in ("", "off") else Path(chosen).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "bpspec"


def key(suite: str, csv_sha256: str, cases_sha256: str, annotation: str = "") -> str:
    """The identity of a suite's parsed values: everything the frame depends on, ``annotation`` naming
    the function that added columns to it, if any (VEC-7)."""
    return json.dumps({"format": CACHE_FORMAT, "suite": suite, "csv": csv_sha256, "cases": cases_sha256,
                       "annotation": annotation, "pandas": pd.__version__, "numpy": np.__version__},
                      sort_keys=True)


def read(entry_key: str) -> pd.DataFrame | None:
    """The frame stored under ``entry_key``, or ``None`` if there is none that is whole and matches."""
    path = _path(entry_key)
    if path is None:
        return None
    try:
        with path.open("rb") as f:
            content = bytearray(os.fstat(f.fileno()).st_size)
            if f.readinto(content) != len(content):
                return None
        frame = _decode(content, entry_key)
    except Exception:  # a damaged or foreign entry is a miss (VEC-7)
        return None
    if frame is not None:
        _touch(path)
    return frame


def write(entry_key: str, frame: pd.DataFrame) -> None:
    """Store ``frame`` under ``entry_key`` atomically; silently does nothing if that fails (VEC-7)."""
    path = _path(entry_key)
    if path is None:
        return
    try:
        content = _encode(entry_key, frame)
        atomic.write(path, content)
        _prune(path.parent)
    except Exception:  # an unwritable or full cache only costs the next load its parse (VEC-7)
        return


def _path(entry_key: str) -> Path | None:
    base = folder()
    if base is None:
        return None
    return base / f"{hashlib.sha256(entry_key.encode()).hexdigest()[:32]}{SUFFIX}"


def _encode(entry_key: str, frame: pd.DataFrame) -> bytes:
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        raise ValueError("only a frame indexed 0..n-1 is stored")
    parts: list[bytes] = []
    offset = 0

    def place(array: np.ndarray) -> list:
        nonlocal offset
        content = np.ascontiguousarray(array).tobytes()
        spot = [offset, array.dtype.str, len(array)]
        padded = -len(content) % _ALIGN
        parts.append(content + bytes(padded))
        offset += len(content) + padded
        return spot

    columns = []
    for name, column in frame.items():
        dtype = str(column.dtype)
        if column.dtype.kind in _NUMERIC:
            columns.append([name, dtype, place(column.to_numpy())])
            continue
        codes, distinct = pd.factorize(column.to_numpy(dtype=object))
        distinct = distinct.tolist()
        if not all(isinstance(v, str) and "\n" not in v for v in distinct) or (codes < 0).any():
            raise ValueError(f"column {name!r} is neither numbers nor strings without newlines")
        text = np.frombuffer("\n".join(distinct).encode("utf-8"), dtype=np.uint8)
        columns.append([name, dtype, place(codes.astype(np.int32)), place(text), len(distinct)])
    payload = b"".join(parts)
    header = json.dumps({"key": entry_key, "rows": len(frame), "columns": columns, "bytes": len(payload),
                         "crc32": zlib.crc32(payload)}).encode("utf-8")
    return MAGIC + len(header).to_bytes(8, "little") + header + payload


def _decode(content: bytearray, entry_key: str) -> pd.DataFrame | None:
    if content[: len(MAGIC)] != MAGIC:
        return None
    start = len(MAGIC) + 8
    size = int.from_bytes(content[len(MAGIC):start], "little")
    header = json.loads(content[start:start + size].decode("utf-8"))
    if header["key"] != entry_key:
        return None
    start += size
    payload = memoryview(content)[start:]
    if len(payload) != header["bytes"] or zlib.crc32(payload) != header["crc32"]:
        return None
    rows, columns = header["rows"], {}

    def array(offset: int, dtype: str, count: int) -> np.ndarray:
        if np.dtype(dtype).kind not in _NUMERIC:
            raise ValueError(f"not a numeric type: {dtype}")
        return np.frombuffer(content, dtype=dtype, count=count, offset=start + offset)

    for name, dtype, data, *text in header["columns"]:
        values = array(*data)
        if len(values) != rows:
            return None
        if text:
            where, count = text
            distinct = np.array(array(*where).tobytes().decode("utf-8").split("\n"), dtype=object)
            if len(distinct) != count or values.dtype != np.int32 or (
                    rows and not 0 <= values.min() <= values.max() < count):
                return None
            columns[name] = pd.Series(distinct[values], dtype=str, copy=False)
        else:
            columns[name] = values
        if str(columns[name].dtype) != dtype:
            return None
    return pd.DataFrame(columns, copy=False)


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


def _prune(base: Path) -> None:
    entries = sorted(base.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[MAX_ENTRIES:]:
        stale.unlink(missing_ok=True)
