"""The evidence of one failing step, and the test a bug's prediction must pass (spec CHK-5).

``Evidence`` holds what the checker knows of the step: the case, the reference values and
tolerances of every (quantity, layer) as arrays, the adapter's result, and the state and batch the
step started from; its helpers give the network's rules in float64 (``rules``) for predictions.
``matches`` is the one test every prediction (``signatures``) is held to.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from bpspec import contract
from bpspec.cases import batch_indices
from bpspec.conformance import rules, tolerance
from bpspec.conformance.grade import group_shape
from bpspec.conformance.index import OUTPUT_KEY, QUANTITY
from bpspec.conformance.rows import Rows, layer_arrays

SLACK = 16
"""A prediction matches when within SLACK times the value's tolerance (TOL-1), widened by rtol times
the prediction's own magnitude: it is computed in float64 from the reference values, the adapter's
from its own inputs, and a bug's value may be far from the reference's error scale."""


class Evidence:
    """One failing step as the checker sees it: reference arrays (by quantity and layer, from the
    vector rows), the adapter's result, and the state and batch the step started from."""

    def __init__(self, case: dict, by_step: dict[int, Rows], step: int, out: dict, weights: Any,
                 biases: Any, dtype: str, mode: str):
        self.case, self.s, self.out, self.by_step = case, step, out, by_step
        self.acts, self.L = case["activations"], len(case["activations"])
        rows = batch_indices(case, step)
        self.x = np.array([[float(v) for v in case["x"][i]] for i in rows])
        self.y = np.array([[float(v) for v in case["y"][i]] for i in rows])
        self.B = len(rows)
        self.W = [np.asarray(w, dtype=np.float64) for w in weights]
        self.b = [np.asarray(v, dtype=np.float64) for v in biases]
        self.eta = float(case["learning_rate"])
        self.conv = contract.conventions(case["conventions"])
        self.dtype = dtype if dtype in tolerance.TINY else "float64"
        self.free = mode == "free-running"
        self.rtol = tolerance.rtol(case, self.dtype, step, self.free)
        self.refs, self.tols = self.arrays(step, self.dtype)

    def arrays(self, step: int, dtype: str) -> tuple[dict, dict]:
        """Reference values and tolerances of a recorded step, as arrays per (quantity, layer)."""
        rows = self.by_step[step]
        batch = len(batch_indices(self.case, step))
        rtol = tolerance.rtol(self.case, dtype, step, self.free)
        tol = tolerance.bound(rows["ref"], rows["digits"], rows["scale"], rtol, dtype)

        def per_layer(values: np.ndarray) -> dict:
            arrays = layer_arrays(rows, values, lambda g: group_shape(self.case, g, batch))
            return {(QUANTITY[g // 1000], g % 1000): a for g, a in arrays.items()}

        return per_layer(rows["ref"]), per_layer(tol)

    def ref(self, q: str, l: int = 0) -> np.ndarray:
        return self.refs[q, l]

    def got(self, q: str, l: int = 0) -> np.ndarray | None:
        value = self.out.get(OUTPUT_KEY[q])
        if value is None:
            return None
        got = np.asarray(value if q == "E_total" else value[l - 1], dtype=np.float64)
        return got.reshape(()) if got.shape == (1,) and q == "E_total" else got

    def matches(self, q: str, l: int, predictions: Iterable[np.ndarray | None], wrong: bool = True) -> bool:
        """Does a prediction reproduce every graded entry of the adapter's quantity and, if ``wrong``,
        fail the grading wherever the adapter's value fails it (so a bug without effect here never
        explains a failure)?"""
        got, ref, tol = self.got(q, l), self.refs[q, l], self.tols[q, l]
        if got is None or got.shape != ref.shape:
            return False
        graded = ~np.isnan(tol)
        with np.errstate(all="ignore"):
            failing = graded & ~(np.abs(got - ref) <= tol)
            for pred in predictions:
                if pred is None or np.shape(pred) != got.shape:
                    continue
                ok = (np.abs(got - pred) <= SLACK * (tol + self.rtol * np.abs(pred))) | (got == pred)
                if ok[graded].all() and not (wrong and (np.abs(pred - ref) <= tol)[failing].any()):
                    return True
        return False

    # the network's rules, in float64, for the predictions
    def f(self, name: str, net: np.ndarray) -> np.ndarray:
        return rules.activation(name, net, self.case["activation_params"])

    def df(self, name: str, net: np.ndarray) -> np.ndarray:
        return rules.derivative(name, net, self.case["activation_params"])

    def dE_dout(self, out: np.ndarray) -> np.ndarray:
        r = 1 if self.case["reduction"] == "sum" else 1 / self.B
        return r * rules.loss_grad(self.case["loss"], out, self.y, self.conv)

    def upstream(self, l: int) -> np.ndarray:
        """The reference dE_total/dout[l] (BWD-1, BWD-3)."""
        if l == self.L:
            return self.dE_dout(self.ref("out", l))
        return self.ref("delta", l + 1) @ self.W[l]
