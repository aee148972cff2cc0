"""What a benchmark run was asked for, and the candidates that follows from it.

``Options.make`` is how a workload names a candidate: it returns None for an implementation left out
by ``--impl``, a skip for ``torch.compile`` in a quick run, and otherwise sets the candidate up
(``bpspec.benchmarks.setup.make``), importing its framework only then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bpspec.benchmarks.core import OURS, Candidate, skipped
from bpspec.benchmarks.setup import make

SLOW_TO_COMPILE = ("torch.compile",)


@dataclass(frozen=True)
class Options:
    """``quick``: fewer and shorter calls, no ``torch.compile`` (it compiles for about a minute per
    network here); ``full``: also the slow measurements (W6's regeneration of the vectors);
    ``impls``: only these implementations (all when empty; ours always runs, as the denominator)."""

    quick: bool = False
    full: bool = False
    impls: frozenset[str] = field(default_factory=frozenset)

    def repeats(self, normal: int) -> int:
        """Timed calls per candidate: ``normal``, or 3 in a quick run."""
        return min(3, normal) if self.quick else normal

    def wanted(self, impl: str) -> bool:
        return not self.impls or impl in self.impls or impl == OURS

    def make(self, impl: str, target: str, *args: Any, **fields: Any) -> Candidate | None:
        """The candidate ``impl``, built by ``bpspec.benchmarks.<target>(*args)``; None if not wanted."""
        if not self.wanted(impl):
            return None
        if self.quick and impl in SLOW_TO_COMPILE:
            return skipped(impl, "not run with --quick (it compiles for about a minute per network here)",
                           fields.get("unit", "step"))
        return make(impl, target, *args, **fields)

    def skip(self, impl: str, reason: str, unit: str = "step") -> Candidate | None:
        """A candidate that cannot run, with the reason; None if not wanted anyway."""
        return skipped(impl, reason, unit) if self.wanted(impl) else None
