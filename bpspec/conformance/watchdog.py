"""The per-case time limit of ``bpspec check --timeout`` (spec ADP-3, CHK-3, CLI-3).

Cases run one after another in a daemon worker thread while the checker waits at most the limit for
each. A case that does not finish in time is failed and its worker abandoned; the next case gets a
fresh worker. Nothing can stop a Python thread from outside, so the abandoned thread is flagged: the
checker's next call into the adapter from it raises ``Abandoned`` instead of calling the adapter, so
that a slow adapter stops at its next step while a hung one simply never returns. Being a daemon, an
abandoned thread does not keep the interpreter alive. Until a case overruns, every case runs in the
same thread, so an adapter's thread-local state (scratch memory, a framework's modes) carries over
from case to case as it does without a limit.

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
from collections.abc import Callable
from typing import Any

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
    global _worker
    with _lock:
        worker = _worker = _worker or _Worker()
    box: dict[str, Any] = {}
    done = threading.Event()
    worker.jobs.put((fn, args, box, done))
    if not done.wait(limit):
        worker.thread.bpspec_abandoned = True  # type: ignore[attr-defined]
        with _lock:
            if _worker is worker:
                _worker = None
        return False, None
    if "error" in box:
        raise box["error"]
    return True, box["value"]
