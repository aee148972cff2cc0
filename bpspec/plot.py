"""``bpspec plot CASE``: a trajectory's loss curve, the reference against an implementation (spec CLI-4).

The reference curve is E_total at the steps the vectors record (UPD-4); the implementation's is
E_total at every update of its own free run through its adapter (TOL-5), each step starting from the
parameters its previous step returned. Both are drawn on a logarithmic loss axis into a PNG.
matplotlib is an optional dependency (``pip install 'bpspec[plot]'``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from bpspec.contract import DTYPES
from bpspec.errors import InputError, UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case", metavar="CASE", help="case id of a trajectory (a case of several updates)")
    p.add_argument("--impl", default="numpy", help="numpy (default), reference, torch, jax, or module:attr")
    p.add_argument("--dtype", default="float64", help=f"one of {', '.join(DTYPES)}")
    p.add_argument("--vectors", type=Path, help="vector folder (default: the shipped vectors)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.png", help="the PNG file to write")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="give up on an implementation run longer than this (default 60)")


def find(case_id: str, folder: Path | None) -> tuple[dict, list[tuple[int, float]]]:
    """The case and its reference curve, (step, E_total) at each recorded step, from the vectors."""
    from bpspec import vectorset
    from bpspec.names import display

    for suite in vectorset.suites(folder):
        loaded = vectorset.load(suite, folder)
        if case_id in loaded.cases:
            case = loaded.cases[case_id]
            name = display("E_total", case.get("names"))
            rows = loaded.values[(loaded.values["case"] == case_id) & (loaded.values["name"] == name)]
            return case, [(int(s), float(v)) for s, v in zip(rows["step"], rows["ref"], strict=True)]
    raise UsageError(f"unknown case {case_id!r} in the vectors")


def free_run(adapter, case: dict, dtype: str) -> list[float]:
    """E_total of every update of the adapter's own trajectory (TOL-5)."""
    from bpspec.conformance.runner import make_input

    weights, biases = case["weights"], case["biases"]
    losses = []
    for s in range(max(case["record"]) + 1):
        out = adapter.step(make_input(case, weights, biases, s, dtype, adapter.exact))
        losses.append(float(out["loss"]))
        weights, biases = out["new_weights"], out["new_biases"]
    return losses


def draw(case: dict, reference: list[tuple[int, float]], losses: list[float], label: str, out: Path) -> None:
    """The PNG: both curves on a log loss axis (and a log step axis for long runs), written atomically."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bpspec import atomic

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ax.plot(range(len(losses)), losses, "-", lw=1.2, color="tab:orange", label=label)
    ax.plot(*zip(*reference, strict=True), "o", ms=5, color="tab:blue", label="reference (vectors)")
    ax.set_yscale("log")
    if len(losses) > 100:
        ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(0, len(losses))
    ax.set_xlabel("update")
    ax.set_ylabel("E_total")
    ax.set_title(f"{case['case']}: {case['loss']}, {'-'.join(map(str, case['layer_sizes']))}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    atomic.write(out, buf.getvalue())


def run(args: argparse.Namespace) -> int:
    """``bpspec plot``: 0 when the PNG is written, 1 when the implementation failed, 2 for bad input."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("bpspec plot needs matplotlib: pip install 'bpspec[plot]'") from None
    from bpspec.conformance import watchdog
    from bpspec.conformance.adapters import resolve

    if args.dtype not in DTYPES:
        raise UsageError(f"--dtype {args.dtype!r}: expected one of {', '.join(DTYPES)}")
    case, reference = find(args.case, args.vectors)
    if case["steps"] < 2:
        raise UsageError(f"case {args.case} is a single step, not a trajectory; pick a case of several "
                         "updates")
    with contextlib.redirect_stdout(sys.stderr):
        adapter = resolve(args.impl)
        try:
            finished, losses = watchdog.within(args.timeout, free_run, adapter, case, args.dtype)
        except InputError:
            raise
        except Exception as err:  # the implementation's failure, not the user's input
            print(f"bpspec plot: the adapter raised {type(err).__name__}: {err}", file=sys.stderr)
            return 1
    if not finished:
        print(f"bpspec plot: the adapter did not finish {args.case} within {args.timeout:g} s",
              file=sys.stderr)
        return 1
    try:
        draw(case, reference, losses, f"{args.impl} ({args.dtype}, free-running)", args.out)
    except OSError as err:
        raise UsageError(f"--out {args.out}: cannot write ({err.strerror or err})") from None
    print(f"wrote {args.out}: {case['case']}, {len(losses)} updates, reference at {len(reference)} steps")
    return 0
