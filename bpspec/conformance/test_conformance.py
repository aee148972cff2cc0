"""The conformance suite as pytest items, one per case and dtype (spec ADP-8, ADP-3, CHK-2).

Collected by ``pytest --pyargs bpspec.conformance --bpspec-impl module:attr``; the options and the
skips file are handled by ``bpspec.conformance.pytest_plugin``. Without ``--bpspec-impl`` the
module is one skipped item saying so. See docs/pytest.md.
"""

from __future__ import annotations

import pytest

from bpspec.conformance import pytest_plugin


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "check" not in metafunc.fixturenames:
        return
    run = pytest_plugin.conformance(metafunc.config)
    if run is None:
        loaded = hasattr(metafunc.config.option, "bpspec_impl")
        skip = pytest.mark.skip(reason=pytest_plugin.NO_IMPL if loaded else pytest_plugin.NOT_LOADED)
        metafunc.parametrize("check", [pytest.param(None, marks=skip, id="no-impl")])
    else:
        metafunc.parametrize("check", run.params())


def test_case(check: pytest_plugin.Check, request: pytest.FixtureRequest) -> None:
    """Pass, fail or skip as ``bpspec check`` does for this case and dtype."""
    run = pytest_plugin.conformance(request.config)
    assert run is not None
    outcome = run.grade(check)
    request.node.user_properties += [("values", outcome.values), ("failed", outcome.failed),
                                     ("not_checked", outcome.not_checked)]
    if outcome.status == "skip":
        pytest.skip(outcome.reason)
    if outcome.status == "fail":
        pytest.fail(run.failure_message(check, outcome), pytrace=False)
