"""The per-case time limit of ``bpspec check --timeout`` (spec ADP-3, CHK-3, CLI-3).

Cases run one after another in a daemon worker thread while the checker waits at most the limit for
each. A case that does not finish in time is failed and its worker abandoned; the next case gets a
fresh worker. Nothing can stop a Python thread from outside, so the abandoned thread is flagged: the
checker's next call into the adapter from it raises ``Abandoned`` instead of calling the adapter, so
that a slow adapter stops at its next step while a hung one simply never returns. Being a daemon, an
abandoned thread does not keep the interpreter alive. Until a case overruns, every case runs in the
same thread, so an adapter's thread-local state (scratch memory, a framework's modes) carries over
from case to case as it does without a limit. A stage's cases go to the worker as one job
(``each_within``): the checker sleeps until the running case's deadline, not once per case, and
each case's data stays with the thread (and core) that made it.

Why a thread and not a subprocess or a signal: a thread runs any adapter (closures, GPU handles,
objects that do not pickle) exactly as the checker calls it without a limit, at the cost of a hand-off
per case, and works in any thread and on any platform, so also inside pytest; ``SIGALRM`` works only
in the main thread on POSIX and cannot interrupt C code. The limits of the design: an adapter that
holds the GIL in C code without ever releasing it stalls the whole process, one that kills the
process (``os._exit``, a segfault) ends the run, and an abandoned thread may still be inside the
adapter, or in a global context such as mpmath's precision, when the next case calls it. An adapter
is code the user chose to run (docs/trust.md).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT = 60.0
"""Seconds one case may take, its adapter calls and the reading of their results together
(``bpspec check --timeout``, CLI-3)."""


class Abandoned(BaseException):
    """Raised in an abandoned case's thread at its next call into the adapter; a BaseException so that
    the adapter's and the checker's ``except Exception`` clauses let it through."""


def abandoned() -> bool:
    """Whether the current thread runs a case the checker has stopped waiting for."""
    return getattr(threading.current_thread(), "bpspec_abandoned", False)


class _Worker:
    """A daemon thread running the jobs put on its queue, one at a time, until it is abandoned."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name="bpspec-case", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not abandoned():
            fn, args, box, done = self.jobs.get()
            try:
                box["value"] = fn(*args)
            except BaseException as err:  # handed to the waiting thread, which decides
                box["error"] = err
            finally:
                done.set()


_worker: _Worker | None = None
_lock = threading.Lock()


def within(limit: float, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """``(True, fn(*args))`` if the call finishes within ``limit`` seconds, else ``(False, None)`` and
    the call is abandoned in its daemon thread. An exception of ``fn`` is raised here."""
    worker = _current()
    box: dict[str, Any] = {}
    done = threading.Event()
    worker.jobs.put((fn, args, box, done))
    if not done.wait(limit):
        _abandon(worker)
        return False, None
    if "error" in box:
        raise box["error"]
    return True, box["value"]


def each_within(items: Sequence[T], limit: Callable[[T], float], fn: Callable[[T], None]) -> list[T]:
    """``fn(item)`` for each item in turn in the worker thread, each within ``limit(item)`` seconds
    (read as the item starts); the items that overran, each abandoned with its worker, the items
    after it going on in a fresh one. The checker sleeps until the running item's deadline, the
    earliest a later item could reach its own, or the end, so quick items cost no hand-off each, and
    every item runs in the same thread as the one before it (its data stays in that core's caches;
    one hand-off per case between two threads cost the shipped suite's run ~30%). ``fn`` handles its
    item's exceptions; one that escapes it is raised here after the items before it have run."""
    def run(start: int, running: list[tuple[int, float, float]]) -> None:
        for k in range(start, len(items)):
            if abandoned():
                return
            running[0] = (k, time.perf_counter(), limit(items[k]))
            fn(items[k])

    sooner = [float("inf")] * (len(items) + 1)
    for k in reversed(range(len(items))):
        sooner[k] = min(limit(items[k]), sooner[k + 1])
    """the least limit of the items from k on: an item after the running one, which starts later,
    cannot reach its deadline before ``sooner[k + 1]`` seconds from now (an item's limit does not
    change before it starts)"""
    overran: list[T] = []
    first = 0
    while first < len(items):
        worker = _current()
        running = [(first, time.perf_counter(), limit(items[first]))]
        """(index, start, seconds allowed) of the item running, replaced whole as each starts"""
        box: dict[str, Any] = {}
        done = threading.Event()
        worker.jobs.put((run, (first, running), box, done))
        try:
            while True:
                k, started, allowed = now = running[0]
                if done.wait(max(min(started + allowed - time.perf_counter(), sooner[k + 1]), 0.0)):
                    break
                if running[0] == now and time.perf_counter() >= started + allowed:
                    _abandon(worker)
                    overran.append(items[k])
                    first = k + 1
                    break
        except BaseException:  # KeyboardInterrupt: the items left are not run
            _abandon(worker)
            raise
        if done.is_set():
            if "error" in box:
                raise box["error"]
            return overran
    return overran


def _current() -> _Worker:
    """The worker thread, a new one if there is none or the last was abandoned."""
    global _worker
    with _lock:
        worker = _worker = _worker or _Worker()
    return worker


def _abandon(worker: _Worker) -> None:
    """Flag ``worker``'s thread as abandoned (its next adapter call raises ``Abandoned``); the next job
    gets a fresh worker."""
    global _worker
    worker.thread.bpspec_abandoned = True  # type: ignore[attr-defined]
    with _lock:
        if _worker is worker:
            _worker = None
