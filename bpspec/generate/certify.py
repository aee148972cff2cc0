"""Certified values: each case run at two working precisions (spec CERT-1, CERT-2).

Every value is computed at LOW_DPS and at HIGH_DPS significant digits. The written value is the
HIGH_DPS result rounded once to VALUE_DIGITS digits; ``scale`` its error scale (TOL-4, see
``bpspec.generate.scale``); ``digits`` is how many significant digits the
two runs agree on, capped at VALUE_DIGITS. The error of a floating-point evaluation shrinks with the
working precision, so the agreement bounds the error of the lower run, and the higher run is at least
as good (CERT-1). A value both runs give exactly (an exact zero, a dyadic input copied through) is
certified to every written digit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mpmath import mp

from bpspec.cases import CaseError
from bpspec.generate.rows import step_rows
from bpspec.generate.scale import ParameterDrift, scales
from bpspec.names import display
from bpspec.reference import run_case
from bpspec.vectorfile import VALUE_DIGITS, format_scale, format_value

LOW_DPS = 50
HIGH_DPS = 100
MIN_CERTIFIED = 25
"""Values certified to fewer digits are reported by the generator and justified in the case (CERT-2)."""

Row = tuple[str, int, str, str, int, str]


def agreement(low, high) -> int:
    """Significant digits on which two evaluations of one value agree, 0..VALUE_DIGITS (CERT-1)."""
    if low == high:
        return VALUE_DIGITS
    if high == 0:
        return 0
    with mp.workdps(HIGH_DPS + 10):
        rel = abs(low - high) / abs(high)
        digits = int(mp.floor(-mp.log10(rel)))
    return max(0, min(VALUE_DIGITS, digits))


def certify_case(case: Mapping[str, Any]) -> list[Row]:
    """The vector rows of one case: every recorded step, every value, certified (CERT-1, VEC-1)."""
    low = run_case(case, LOW_DPS)
    drift = ParameterDrift(case)
    high = run_case(case, HIGH_DPS, on_step=drift.update)
    aliases = case.get("names")
    rows: list[Row] = []
    seen: set[tuple[int, str]] = set()
    for s in case["record"]:
        low_rows, high_rows = step_rows(case, low[s][1], s), step_rows(case, high[s][1], s)
        scale_of = scales(case, high[s][1], drift.at.get(s))
        for (name, lo), (name_hi, hi) in zip(low_rows, high_rows, strict=True):
            shown = display(name, aliases)
            if name != name_hi or (s, shown) in seen:
                raise CaseError(f"case {case['case']}: value name {shown!r} is not unique at step {s}")
            seen.add((s, shown))
            scale = scale_of.get(name)
            rows.append((case["case"], s, shown, format_value(hi), agreement(lo, hi),
                         format_scale(abs(float(hi)) if scale is None else scale)))
    return rows


def weakly_certified(rows: list[Row]) -> list[Row]:
    """Rows certified to fewer than MIN_CERTIFIED digits (CERT-2)."""
    return [r for r in rows if r[4] < MIN_CERTIFIED]
