"""The vector catalogue: every case the generator runs, suite by suite (spec CASE, VEC).

Each suite is a module whose ``cases()`` deterministically builds a list of case definitions
(``bpspec.cases`` validates each): the seed examples transcribed by hand, and generated suites of
activation and loss unit vectors, kinks, random networks, training trajectories, stress cases and
the named non-conforming variants. Shared number helpers live in ``dyadic``, case assembly and spec
IDs in ``build``, the cost model in ``budget``.
"""

from __future__ import annotations

from collections.abc import Callable

from bpspec.catalogue import kinks, random_nets, seed, stress, trajectories, unit, variants

SUITES: dict[str, Callable[[], list[dict]]] = {
    "seed": seed.cases,
    "unit": unit.cases,
    "kinks": kinks.cases,
    "random": random_nets.cases,
    "trajectories": trajectories.cases,
    "stress": stress.cases,
    "variants": variants.cases,
}


def all_cases() -> list[dict]:
    """Every case of every suite, in suite order; case ids are unique across the catalogue."""
    out = [case for build in SUITES.values() for case in build()]
    seen: set[str] = set()
    for case in out:
        if case["case"] in seen:
            raise ValueError(f"case id {case['case']!r} is defined twice in the catalogue")
        seen.add(case["case"])
    return out
