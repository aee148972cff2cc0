"""The reference as an adapter (spec ADP-5): ``bpspec check --impl reference`` grades it against its
own vectors at their own precision, computing at the generator's higher precision and marked
``exact`` so the checker compares its mpmath numbers with the written digits, not through floats.
"""

from __future__ import annotations

from bpspec.reference.network import step as reference_step

DPS = 100


class ReferenceAdapter:
    exact = True

    def step(self, inp: dict) -> dict:
        return reference_step(inp, DPS)


ADAPTER = ReferenceAdapter()
