"""The classic bug of seed 000's first code: hidden deltas through the already updated weights (CNV-1).

It wraps the NumPy implementation and silently computes every step under ``post_update`` while
claiming to conform.
"""

from bpspec.impl.adapter import step as numpy_step


def step(inp: dict) -> dict:
    return numpy_step({**inp, "conventions": {**inp["conventions"], "hidden_delta_weights": "post_update"}})
