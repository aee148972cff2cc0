"""The pytest-benchmark suite: the workloads of ``bpspec bench``, one benchmark per candidate.

Kept apart from the correctness tests (``tests/``, the README's ``pytest``): run it with
``pytest benchmarks --benchmark-only``. The slow groups (W6's regeneration of the vectors, about a
minute) run only with ``--bench-full``. Nothing here asserts a timing.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bench-full", action="store_true", default=False,
                     help="also the slow benchmarks (regenerating the vectors)")


@pytest.fixture(scope="session")
def full(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--bench-full"))
