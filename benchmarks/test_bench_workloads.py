"""W1 .. W6 under pytest-benchmark, from the definitions ``bpspec bench`` runs (bpspec.benchmarks).

One benchmark per workload group x dtype x implementation. Each builds its candidate exactly as
``bpspec bench`` does (``Options(impls={impl})``) and lets pytest-benchmark time ``run()`` with the
candidate's untimed ``reset()`` before every round and its warm-up calls first. A peer that is not
installed or cannot run here is skipped with the reason ``bpspec bench`` prints. The ratios between
implementations are ``bpspec bench``'s job, measured side by side; pytest-benchmark gives each one's
own statistics (``--benchmark-compare`` across runs, ``--benchmark-json``).
"""

from __future__ import annotations

import pytest

from bpspec.benchmarks import DTYPES, WORKLOADS
from bpspec.benchmarks.options import Options

CASES = [(name, label, dtype, impl) for name, module in WORKLOADS.items()
         for label, impls in module.GROUPS.items() for dtype in DTYPES for impl in impls]


@pytest.mark.parametrize("name,label,dtype,impl", CASES, ids=[f"{g}-{d}-{i}".replace(" ", "_")
                                                               for _, g, d, i in CASES])
def test_workload(benchmark, full, name, label, dtype, impl):
    module = WORKLOADS[name]
    slow = label in getattr(module, "SLOW", ())
    if slow and not full:
        pytest.skip("slow: run with --bench-full")
    if slow and dtype != "float64":
        pytest.skip("runs in the float64 pass only")
    groups = dict(module.groups(dtype, Options(full=slow, impls=frozenset({impl}))))
    candidate = next(c for c in groups[label] if c is not None and c.impl == impl)
    if candidate.skip:
        pytest.skip(candidate.skip)

    def setup() -> None:
        if candidate.reset is not None:
            candidate.reset()

    benchmark.group = f"{label} {dtype}"
    benchmark.extra_info.update(units_per_call=candidate.units, unit=candidate.unit)
    benchmark.pedantic(candidate.run, setup=setup, rounds=candidate.repeats or module.REPEATS,
                       warmup_rounds=candidate.warmup)
