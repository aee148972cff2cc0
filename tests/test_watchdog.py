"""The per-case time limit (``bpspec check --timeout``; ADP-3, CHK-3, CLI-3): ``watchdog.each_within``
runs a sequence of cases in one worker thread and abandons only the one that overruns."""

from __future__ import annotations

import threading
import time

import pytest

from bpspec.conformance import watchdog


def test_quick_items_run_in_order_in_one_worker_thread():
    """CLI-3: every case of a stage runs in the same worker thread, none in the caller's."""
    ran: list[tuple[int, int]] = []
    overran = watchdog.each_within(list(range(50)), lambda k: 5.0,
                                   lambda k: ran.append((k, threading.get_ident())))
    assert overran == [] and [k for k, _ in ran] == list(range(50))
    assert len({ident for _, ident in ran}) == 1 and ran[0][1] != threading.get_ident()


def test_an_overrunning_item_is_abandoned_and_the_rest_go_on():
    """ADP-3, CHK-3: the case past its limit is given up after about its limit, the cases after it run
    in a fresh worker, and the abandoned one does not run them too."""
    ran: list[tuple[int, int]] = []
    release = threading.Event()

    def work(k: int) -> None:
        if k == 2:
            release.wait(10)
        ran.append((k, threading.get_ident()))

    start = time.perf_counter()
    overran = watchdog.each_within(list(range(5)), lambda k: 0.3, work)
    took = time.perf_counter() - start
    release.set()
    deadline = time.perf_counter() + 10
    while len(ran) < 5 and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert overran == [2] and 0.3 <= took < 3
    assert [k for k, _ in ran] == [0, 1, 3, 4, 2]
    assert ran[0][1] == ran[1][1] == ran[4][1] != ran[2][1] == ran[3][1]


def test_each_item_has_its_own_limit_read_as_it_starts():
    """CLI-3: a case's limit is what is left of its budget when it starts, not the sequence's."""
    budget = {0: 3.0, 1: 3.0, 2: 0.05}
    overran = watchdog.each_within([0, 1, 2], lambda k: budget[k], lambda k: time.sleep(0.2))
    assert overran == [2]


def test_an_escaping_exception_is_raised_in_the_caller():
    """The caller sees an exception its function let through (the runner's catches its own)."""
    def work(k: int) -> None:
        if k == 1:
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        watchdog.each_within([0, 1, 2], lambda k: 5.0, work)
