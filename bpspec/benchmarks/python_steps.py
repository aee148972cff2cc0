"""Plain Python floats: seed 000's 2-2-2 step written out by hand, the baseline of per-step latency (W1).

Mazur's example as a student types it: the eight weights as variables, ``math.exp`` for the sigmoid,
out * (1 - out) for its derivative, the error of every step kept. Python floats are IEEE doubles, so
this peer exists in float64 only, for the W1 network only.
"""

from __future__ import annotations

from collections.abc import Callable
from math import exp
from typing import Any

from bpspec.benchmarks.nets import W1_NET, Net


def loop(net: Net, arrays: dict[str, Any], dtype: str, steps: int) -> tuple[Callable, Callable]:
    """``steps`` updates of seed 000's network on Python floats."""
    if net != W1_NET or dtype != "float64":
        raise ValueError("the Python-float peer is seed 000's 2-2-2 network in float64")
    (i1, i2), (t1, t2) = arrays["x"][0].tolist(), arrays["y"][0].tolist()
    initial = [v for w in arrays["weights"] for v in w.ravel().tolist()]
    b1, b2 = float(arrays["biases"][0][0]), float(arrays["biases"][1][0])
    eta = net.learning_rate
    state: dict[str, Any] = {}

    def run() -> None:
        w1, w2, w3, w4, w5, w6, w7, w8 = state["w"]
        errors = []
        for _ in range(steps):
            h1 = 1 / (1 + exp(-(w1 * i1 + w2 * i2 + b1)))
            h2 = 1 / (1 + exp(-(w3 * i1 + w4 * i2 + b1)))
            o1 = 1 / (1 + exp(-(w5 * h1 + w6 * h2 + b2)))
            o2 = 1 / (1 + exp(-(w7 * h1 + w8 * h2 + b2)))
            errors.append(0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2)
            d1 = (o1 - t1) * o1 * (1 - o1)
            d2 = (o2 - t2) * o2 * (1 - o2)
            e1 = (d1 * w5 + d2 * w7) * h1 * (1 - h1)
            e2 = (d1 * w6 + d2 * w8) * h2 * (1 - h2)
            w5, w6, w7, w8 = w5 - eta * d1 * h1, w6 - eta * d1 * h2, w7 - eta * d2 * h1, w8 - eta * d2 * h2
            w1, w2, w3, w4 = w1 - eta * e1 * i1, w2 - eta * e1 * i2, w3 - eta * e2 * i1, w4 - eta * e2 * i2
        state["w"] = [w1, w2, w3, w4, w5, w6, w7, w8]

    def reset() -> None:
        state["w"] = list(initial)

    reset()
    return run, reset
