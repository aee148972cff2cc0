"""The golden-vector file format: writing values, reading and validating files (spec VEC, CERT).

A vector file is a long CSV, one row per scalar: ``case,step,name,value,digits,scale`` (VEC-1).
``value`` is a decimal string of VALUE_DIGITS significant digits (VEC-2); ``digits`` is how many of
them are certified (CERT-1); ``scale`` is the value's error scale, to three digits (TOL-4).
Every load validates the whole file and reports the first problem as one line naming the file and
line (VEC-4).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pandas as pd

from bpspec.errors import InputError

FORMAT_VERSION = 1
COLUMNS = ("case", "step", "name", "value", "digits", "scale")
VALUE_DIGITS = 30
"""Significant digits written for every value (VEC-2); certified digits never exceed it (CERT-1)."""

DECIMAL = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:e[-+][0-9]+)?$")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\[\],/.+-]*$")
MAX_FLOAT = 1.7976931348623157e308


class VectorFormatError(InputError):
    """A vector or results file that breaks the format; the message names the file and line."""


def format_value(x: mpmath.mpf) -> str:
    """``x`` rounded once to VALUE_DIGITS significant digits, fixed or scientific (VEC-2)."""
    return mpmath.nstr(x, VALUE_DIGITS, strip_zeros=False, min_fixed=-4, max_fixed=6)


def format_scale(x: float) -> str:
    """An error scale to three significant digits (TOL-4)."""
    return f"{min(abs(x), MAX_FLOAT):.2e}"


def rows_to_csv(rows: list[tuple[str, int, str, str, int]]) -> bytes:
    """Serialise rows with the header, LF line ends and no quoting (VEC-1, VEC-3)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buf.getvalue().encode("ascii")


def read(path: Path | str, columns: tuple[str, ...] = COLUMNS, what: str = "vector file") -> pd.DataFrame:
    """Load and validate one file of the long format (VEC-4).

    Returns a DataFrame with the columns as written (``value`` kept as the exact string) plus
    ``ref``, the value as a float64. Any problem raises ``VectorFormatError`` naming file and line.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise VectorFormatError(f"{path}: cannot read {what} ({err.strerror})") from None
    return parse(raw, path, columns, what)


def parse(raw: bytes, path: Path | str, columns: tuple[str, ...] = COLUMNS, what: str = "vector file"
          ) -> pd.DataFrame:
    """``read`` of content already in memory, ``path`` naming it in errors (VEC-4)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise VectorFormatError(f"{path}:{line}: not UTF-8 text") from None
    if text.startswith("\ufeff"):
        raise VectorFormatError(f"{path}:1: byte-order mark before the header; save as plain UTF-8")
    if not text or text.isspace():
        raise VectorFormatError(f"{path}:1: empty {what}; expected the header {','.join(columns)}")
    if "\r" in text:
        line = text.count("\n", 0, text.index("\r")) + 1
        raise VectorFormatError(f"{path}:{line}: carriage return (CRLF line end); {what}s use LF (VEC-1)")
    line = nul_line(text)
    if line is not None:
        raise VectorFormatError(f"{path}:{line}: NUL byte; {what}s are text (VEC-1)")
    header = text.partition("\n")[0]
    if header != ",".join(columns):
        raise VectorFormatError(f"{path}:1: header is {header[:80]!r}; expected {','.join(columns)!r}")
    try:
        frame = pd.read_csv(io.StringIO(text.removesuffix("\n")), dtype=str, keep_default_na=False,
                            na_filter=False, skip_blank_lines=False, engine="c", on_bad_lines="error")
    except (pd.errors.ParserError, ValueError) as err:
        line = _line_of(str(err))
        raise VectorFormatError(f"{path}:{line}: malformed CSV row ({_short(err)})") from None
    return validate(frame, path)


def validate(frame: pd.DataFrame, path: Path | str) -> pd.DataFrame:
    """Check every cell of a freshly read frame; the first bad row is reported by its line (VEC-4)."""

    def fail(mask, problem: str):
        first = int(np.asarray(mask).nonzero()[0][0])
        raise VectorFormatError(f"{path}:{first + 2}: {problem(frame.iloc[first])}")

    if frame.empty:
        raise VectorFormatError(f"{path}:2: no rows after the header")
    bad = (frame[list(frame.columns)] == "").all(axis=1)
    if bad.any():
        fail(bad, lambda r: "empty line")
    bad = _mismatch(frame["case"], r"[a-z0-9][a-z0-9_]*")
    if bad.any():
        fail(bad, lambda r: f"case {r['case'][:40]!r} is not a case id")
    bad = _mismatch(frame["step"], r"0|[1-9][0-9]{0,5}")
    if bad.any():
        fail(bad, lambda r: f"step {r['step'][:40]!r} is not a whole number 0..999999")
    bad = _mismatch(frame["name"], NAME.pattern[1:-1], longest=200)
    if bad.any():
        fail(bad, lambda r: f"name {r['name'][:40]!r} is not a value name")
    bad = _mismatch(frame["value"], DECIMAL.pattern[1:-1], longest=64)
    if bad.any():
        fail(bad, lambda r: f"value {shown(r['value'])} is not a decimal number of at most 64 characters")
    ref = nearest_floats(frame["value"])
    bad = ~(np.abs(ref) <= MAX_FLOAT)
    if bad.any():
        fail(bad, lambda r: f"value {r['value'][:40]!r} is outside the float64 range")
    if "digits" in frame:
        bad = _mismatch(frame["digits"], r"[0-9]{1,2}") | (
            pd.to_numeric(frame["digits"], errors="coerce") > VALUE_DIGITS)
        if bad.any():
            fail(bad, lambda r: f"digits {r['digits'][:40]!r} is not a whole number 0..{VALUE_DIGITS}")
        frame["digits"] = frame["digits"].astype("int64")
    if "scale" in frame:
        scale = nearest_floats(frame["scale"])
        bad = _mismatch(frame["scale"], DECIMAL.pattern[1:-1]) | ~(np.abs(scale) <= MAX_FLOAT) | (scale < 0)
        if bad.any():
            fail(bad, lambda r: f"scale {r['scale'][:40]!r} is not a non-negative decimal number")
        frame["scale"] = scale
    frame["step"] = frame["step"].astype("int64")
    dup = frame.duplicated(["case", "step", "name"])
    if dup.any():
        fail(dup, lambda r: f"duplicate value {r['case']} step {r['step']} {r['name']}")
    frame["ref"] = ref
    return frame


def nearest_floats(column: pd.Series) -> np.ndarray:
    """Each decimal string of ``column`` as the nearest float64, as Python's ``float()`` rounds it
    (VEC-2), NaN where a field is not a number. Not ``pd.to_numeric``: before pandas 3 its parser is
    not correctly rounded (0.00368476333096623420715332031250 came back as 0.0036847633309662, an
    error of 3e-14 relative, a hundred times float64's tolerance)."""
    fields = np.array(column.tolist(), dtype=object)
    try:
        return fields.astype(np.float64)
    except ValueError:
        return np.array([_float_or_nan(f) for f in fields], dtype=np.float64)


def _float_or_nan(field: str) -> float:
    try:
        return float(field)
    except ValueError:
        return float("nan")


def _mismatch(column: pd.Series, pattern: str, longest: int | None = None) -> np.ndarray:
    """Which cells do not match ``pattern`` in full or are longer than ``longest`` characters, as
    ``column.str.fullmatch`` decides (``mismatch_coded``)."""
    return mismatch_coded(pd.factorize(column.to_numpy(dtype=object)), pattern, longest)


def mismatch_coded(coded: tuple[np.ndarray, Any], pattern: str | re.Pattern, longest: int | None = None
                   ) -> np.ndarray:
    """``_mismatch`` of a column given as ``pd.factorize``'s codes and distinct cells, for a caller
    that keeps the codes: each distinct cell is tested once, since most repeat."""
    codes, distinct = coded
    match = re.compile(pattern).fullmatch
    limit = longest if longest is not None else float("inf")
    bad = np.fromiter((match(cell) is None or len(cell) > limit for cell in distinct), bool, len(distinct))
    return bad[codes]


def nul_line(text: str) -> int | None:
    """The line of ``text``'s first NUL byte, None if it has none. pandas 2's C parser cuts a field at
    a NUL, so readers refuse it before parsing (CLI-1)."""
    at = text.find("\x00")
    return None if at < 0 else text.count("\n", 0, at) + 1


def shown(cell: str, width: int = 40) -> str:
    """A cell for an error message: quoted, cut to ``width`` characters, its length said if cut."""
    return repr(cell) if len(cell) <= width else f"{cell[:width]!r}... ({len(cell)} characters)"


def _line_of(message: str) -> int:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else 1


def _short(err: Exception) -> str:
    return str(err).strip().splitlines()[-1].removeprefix("Error tokenizing data. C error: ")[:120]
