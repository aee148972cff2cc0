"""The results of a benchmark run: one table for the terminal, JSON records, a PNG bar chart.

Every row is one workload x dtype x implementation: the median, fastest and slowest timed call, the
time per unit of work and the units per second, GFLOP/s where it means something (W3, with the
fraction of the same BLAS's GEMM peak), and the ratio to ours (peer time / ours; > 1: ours faster).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bpspec.benchmarks.core import Result
from bpspec.errors import UsageError

HEADER = ("workload", "dtype", "impl", "median", "min", "max", "per unit", "rate", "GFLOP/s", "ratio")


def seconds(t: float) -> str:
    """A duration with a unit that keeps three significant digits readable."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def rate(r: Result) -> str:
    per_s = r.rate
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if per_s >= scale:
            return f"{per_s / scale:.3g}{suffix} {r.unit}s/s"
    return f"{per_s:.3g} {r.unit}s/s"


def row(r: Result) -> tuple[str, ...]:
    if r.skip or not r.times:
        return (r.workload, r.dtype, r.impl, f"skipped: {r.skip}", "", "", "", "", "", "")
    gflops = ""
    if r.gflops is not None:
        gflops = f"{r.gflops:.1f}"
        if "fraction_of_peak" in r.extra:
            gflops += f" ({r.extra['fraction_of_peak']:.0%})"
    return (r.workload, r.dtype, r.impl, seconds(r.median), seconds(min(r.times)), seconds(max(r.times)),
            f"{seconds(r.per_unit)}/{r.unit}", rate(r), gflops, "" if r.ratio is None else f"{r.ratio:.2f}")


def table(results: Sequence[Result]) -> str:
    """The aligned table; a skipped row states its reason in place of the numbers."""
    rows = [HEADER, *(row(r) for r in results)]
    timed = [x for x in rows if not x[3].startswith("skipped")]
    widths = [max(len(x[i]) for x in timed) for i in range(len(HEADER))]
    lines = []
    for x in rows:
        if x[3].startswith("skipped"):
            lines.append("  ".join(x[i].ljust(widths[i]) for i in range(3)) + "  " + x[3])
        else:
            lines.append("  ".join(x[i].rjust(widths[i]) if i >= 3 else x[i].ljust(widths[i])
                                   for i in range(len(HEADER))).rstrip())
    return "\n".join(lines)


def notes(results: Sequence[Result]) -> list[str]:
    """What the table cannot show: notes of candidates, the peers' ratios to a baseline other than
    ours (W4), W5's split of the time."""
    out = []
    for r in results:
        if r.note and not r.skip:
            out.append(f"{r.workload} {r.dtype} {r.impl}: {r.note}")
        split = r.extra.get("split_s")
        if split and r.times:
            total = r.median
            parts = ", ".join(f"{k} {seconds(v)} ({v / total:.0%})" for k, v in split.items())
            checker = total - split.get("computing", 0.0)
            alone = f"; the checker alone {r.units / checker:,.0f} values/s" if checker > 0 else ""
            out.append(f"{r.workload} {r.dtype}: {r.units:,} values in {seconds(total)}: {parts}{alone}")
        against = r.extra.get("peer_ratios")
        if against and r.times:
            ratios = ", ".join(f"{impl} {ratio:.2f}" for impl, ratio in against.items())
            out.append(f"{r.workload} {r.dtype}: ratios to {r.impl} (peer time / its time): {ratios}")
        by_file = r.extra.get("results_file_s")
        if by_file and r.times:
            graded = r.extra["results_file_values"]
            out.append(f"{r.workload} {r.dtype}: the golden values as a results file (ADP-7): {graded:,} "
                       f"values read and graded in {seconds(by_file)}, {graded / by_file:,.0f} values/s")
    return out


def write_json(results: Sequence[Result], path: Path, machine: dict[str, Any]) -> None:
    """A list of records, one per workload x dtype x impl; each names the BLAS it ran on."""
    libs = machine["libraries"]
    blas = libs if isinstance(libs, str) else "; ".join(
        f"{lib.get('internal_api')} {lib.get('version')} {lib.get('architecture') or ''} "
        f"x{lib.get('num_threads')}".replace("  ", " ") for lib in libs if lib.get("user_api") == "blas")
    records = [{**r.record(), "blas": blas, "environment": machine["environment"]} for r in results]
    try:
        Path(path).write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    except OSError as err:
        raise UsageError(f"--json {path}: cannot write ({err.strerror})") from None


def require_matplotlib() -> None:
    """Fail before measuring anything if --plot cannot be honoured."""
    try:
        import matplotlib  # noqa: F401
    except ModuleNotFoundError:
        raise UsageError("--plot needs matplotlib, which is not installed (pip install 'bpspec[plot]')") \
            from None


def colours(n: int) -> list[tuple[float, float, float]]:
    """``n`` colours, all different for n <= 20, one per implementation of the chart: matplotlib's
    tab20 read as its ten hues, then their lighter tones. (Its default cycle has ten, and a full run
    charts thirteen implementations: the eleventh got the first one's colour.)"""
    from matplotlib import colormaps

    tab20 = colormaps["tab20"].colors
    order = [*tab20[0::2], *tab20[1::2]]
    return [order[k % len(order)] for k in range(n)]


def plot(results: Sequence[Result], path: Path) -> None:
    """A bar chart of the ratios (log scale), one group of bars per workload and dtype."""
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: dict[str, dict[str, float]] = {}
    for r in results:
        if r.ratio is not None:
            groups.setdefault(f"{r.workload}\n{r.dtype}", {})[r.impl] = r.ratio
    impls = list(dict.fromkeys(impl for g in groups.values() for impl in g))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(groups) + 4), 4.5))
    width = 0.8 / max(1, len(impls))
    for k, (impl, colour) in enumerate(zip(impls, colours(len(impls)), strict=True)):
        xs = [i + (k - (len(impls) - 1) / 2) * width for i, g in enumerate(groups.values()) if impl in g]
        ys = [g[impl] for g in groups.values() if impl in g]
        ax.bar(xs, ys, width, label=impl, color=colour)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(groups)), list(groups))
    ax.set_ylabel("time per unit / ours (> 1: ours faster)")
    ax.set_title("bpspec bench: ratios measured side by side in one run")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120)
    except OSError as err:
        raise UsageError(f"--plot {path}: cannot write ({err.strerror})") from None
    finally:
        plt.close(fig)
