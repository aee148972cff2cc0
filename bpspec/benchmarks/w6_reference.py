"""W6: reference throughput: mpmath steps per second at 50 digits, and the time to regenerate the vectors.

Two groups of sequential training steps, the reference (``bpspec.reference.trace`` at 50 digits,
chained as for a trajectory) against bpspec.impl on the same network in the dtype of the pass: the
W1 shape (seed 000's 2-2-2, batch 1) and the W2 shape (64-128-10, batch 32). With ``--full`` (it
takes about a minute on two cores), also ``bpspec regenerate --check --jobs 2``, the time to
regenerate and verify the whole shipped vector set; that one runs in the float64 pass only.
"""

from __future__ import annotations

from bpspec.benchmarks.core import Candidate
from bpspec.benchmarks.nets import W1_NET, W2_NET, seed_000_arrays
from bpspec.benchmarks.options import Options

TITLE = "reference throughput: mpmath steps/s at 50 digits; regenerating the shipped vectors"
GROUPS = {"W6 2-2-2": ("numpy", "reference"), "W6 64-128-10": ("numpy", "reference"),
          "W6 regenerate": ("regenerate",)}
SLOW = ("W6 regenerate",)
"""Groups run only when asked for the full benchmark (``--full``)."""
REPEATS = 3


def groups(dtype: str, options: Options) -> list[tuple[str, list[Candidate | None]]]:
    small, large = (200, 1) if options.quick else (2000, 2)
    ours_large = 50 if options.quick else 500
    out = []
    for label, net, arrays, steps, ours_steps in (
            ("W6 2-2-2", W1_NET, seed_000_arrays(), small, 10_000),
            ("W6 64-128-10", W2_NET, W2_NET.arrays(), large, ours_large)):
        args = (net, arrays, dtype)
        out.append((label, [
            options.make("numpy", "ours.trainer", *args, ours_steps, units=ours_steps),
            options.make("reference", "reference_steps.loop", *args, steps, units=steps,
                         warmup=0 if steps < 10 else 1, note="mpmath, 50 digits"),
        ]))
    if options.full and dtype == "float64":
        out.append(("W6 regenerate", [
            options.make("regenerate", "reference_steps.regenerate", 2, unit="regeneration", compare=False,
                         warmup=0, repeats=1, note="bpspec regenerate --check --jobs 2"),
        ]))
    return out
