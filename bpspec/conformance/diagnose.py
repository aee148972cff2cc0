"""Naming the classic bug behind a failing case (spec CHK-5; the catalogue and its vectors: docs/bugs.md).

A failing case is reported by its first wrong quantity in chain-rule order (CHK-2). Each bug of
CATALOGUE that can first show in that quantity says what it would have returned there: a prediction
computed only from what the checker holds, the case definition and the reference values of the step
(golden state, nets, outs, deltas, gradients) and of the steps recorded before it. A learning-rate
sign bug predicts new_W = W + eta * grad_W, an mse gradient without its 2 half the output delta, a
relu'(0) = 1 the output of dE/dout * [net >= 0], post_update dE/dout through the updated W, and so
on. A bug is named when its prediction reproduces every graded entry of the adapter's failing layer
within SLACK times the tolerance of TOL-1; several are named when their predictions coincide there.
float32 arithmetic is recognised by its fingerprint instead: results that are float32 numbers, off
by no more than float32's tolerance. Nothing matches: no diagnosis, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from bpspec import contract
from bpspec.cases import batch_indices
from bpspec.conformance import rules, tolerance
from bpspec.conformance.grade import expected_shape
from bpspec.conformance.index import OUTPUT_KEY, STATE


class Known(NamedTuple):
    spec_ids: str
    description: str


CATALOGUE: dict[str, Known] = {
    "post_update": Known("CNV-1, BWD-3", "hidden deltas through the already updated weights of the layer "
                         "above (seed 000's first code)"),
    "update_before_backprop": Known("BWD-3, UPD-1", "each layer updated in place, and the forward pass "
                                    "re-run through it, before the layer below gets its delta"),
    "transposed_weights": Known("BWD-3, NOT-1", "hidden recursion multiplies the deltas by W^T, not W"),
    "no_activation_derivative": Known("BWD-2", "delta = dE/dout: the factor f'(net) left out"),
    "sigmoid_out_form_on_net": Known("ACT-7, ACT-1", "sigmoid' written for out, x(1 - x), applied to net"),
    "tanh_out_form_on_net": Known("ACT-7, ACT-2", "tanh' as 1 - net^2, the out form applied to net"),
    "net_form_on_out": Known("ACT-7", "a derivative written for net, e.g. sigmoid(z)sigmoid(-z), applied "
                             "to out"),
    "relu_diff_on_net": Known("ERR-3, ACT-3", "seed 004's relu diff (positives to 1, the rest as they "
                              "are) applied to net: negative slopes"),
    "relu_prime_zero_is_one": Known("ACT-3", "relu'(0) = 1 instead of 0"),
    "leaky_relu_prime_zero_is_one": Known("ACT-5", "leaky_relu'(0) = 1 instead of the slope"),
    "derivative_of_wrong_layer": Known("BWD-2, NOT-1", "delta of layer l uses layer l-1's activation "
                                       "derivative (index off by one)"),
    "activation_of_wrong_layer": Known("FWD-2, NOT-1", "out of layer l uses layer l-1's activation "
                                       "(index off by one)"),
    "softplus_overflow": Known("ACT-6", "softplus as log(1 + exp(net)): inf for large net, 0 for very "
                               "negative"),
    "bias_grad_first_sample": Known("GRD-2", "grad_b from the first sample only, not summed over the batch"),
    "bias_grad_mean": Known("GRD-2", "grad_b averaged over the batch instead of summed"),
    "mean_loss_sum_gradient": Known("LOSS-4, BWD-1", "loss averaged over the batch but its gradient "
                                    "summed: 1/B missing from dE/dout"),
    "mse_without_2": Known("LOSS-3, CNV-3", "mse gradient (o - t)/n without its factor 2"),
    "learning_rate_sign": Known("UPD-1", "W + eta * grad: the update climbs the loss"),
    "frozen_bias_updated": Known("CNV-2, UPD-2", "biases updated although the case freezes them"),
    "gradients_not_zeroed": Known("UPD-4, UPD-1", "gradients accumulated over the steps of a run, "
                                  "never zeroed"),
    "stale_minibatch": Known("UPD-3", "an update trains on another step's mini-batch (batch order ignored)"),
    "float32_accumulation": Known("TOL-1, ADP-1", "float32 arithmetic inside a float64 claim"),
}

SLACK = 16
"""A prediction matches when within SLACK times the value's tolerance (TOL-1), widened by rtol times
the prediction's own magnitude: it is computed in float64 from the reference values, the adapter's
from its own inputs, and a bug's value may be far from the reference's error scale."""


class Evidence:
    """One failing step as the checker sees it: reference arrays (by quantity and layer, from the
    vector rows), the adapter's result, and the state and batch the step started from."""

    def __init__(self, case: dict, by_step: dict[int, pd.DataFrame], step: int, out: dict, weights: Any,
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
        refs, tols = {}, {}
        for (q, l), part in rows.groupby(["quantity", "layer"], sort=False):
            ref = np.full(expected_shape(self.case, q, l, batch), np.nan)
            tol = np.full(ref.shape, np.nan)
            at = () if ref.ndim == 0 else (part["i"].to_numpy(),) if ref.ndim == 1 else \
                (part["i"].to_numpy(), part["j"].to_numpy())
            v = part["ref"].to_numpy()
            ref[at] = v if ref.ndim else v[0]
            t = rtol * part["scale"].to_numpy() + tolerance.TINY[dtype] + \
                np.abs(v) * 10.0 ** -part["digits"].to_numpy()
            tol[at] = t if ref.ndim else t[0]
            refs[q, l], tols[q, l] = ref, tol
        return refs, tols

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


Prediction = Callable[[Evidence, int], Iterable[np.ndarray | None]]
"""A bug's candidate values of the failing quantity; None where the bug has no effect."""


def _derivative(rule: Callable[[Evidence, int, np.ndarray, np.ndarray], np.ndarray | None]) -> Prediction:
    """delta[l] = dE/dout[l] * (a wrong derivative), dE/dout[l] from the reference (BWD-2)."""
    def predict(ev: Evidence, l: int):
        for k in range(ev.L, l - 1, -1):  # the layers above l passed: the bug must leave them right
            d = rule(ev, k, ev.ref("net", k), ev.ref("out", k))
            if k == l:
                yield None if d is None else ev.upstream(l) * d
            elif d is not None and not ev.matches("delta", k, [ev.upstream(k) * d], wrong=False):
                return
    return predict


def _if(active: bool, value: Callable[[], np.ndarray]) -> np.ndarray | None:
    return value() if active else None


def _hidden(through: Callable[[Evidence, int], np.ndarray | None]) -> Prediction:
    """delta[l] = (dE/dout[l] by a wrong recursion) * f'(net[l]), for a hidden layer (BWD-3)."""
    def predict(ev: Evidence, l: int):
        g = through(ev, l) if l < ev.L else None
        yield None if g is None else g * ev.df(ev.acts[l - 1], ev.ref("net", l))
    return predict


def _rerun(ev: Evidence, l: int) -> np.ndarray:
    """dE/dout[l] with layers l+1..L updated and the forward pass re-run through them."""
    k = range(l, ev.L)
    W = [ev.W[i] - ev.eta * ev.ref("grad_W", i + 1) for i in k]
    frozen = ev.conv["bias_update"] == "false"
    b = [ev.b[i] - (0 if frozen else ev.eta) * ev.ref("grad_b", i + 1) for i in k]
    a, nets = ev.ref("out", l), []
    for i, w, v in zip(k, W, b, strict=True):
        nets.append(a @ w.T + v)
        a = ev.f(ev.acts[i], nets[-1])
    g = ev.dE_dout(a)
    for i in reversed(range(len(W))):
        g = (g * ev.df(ev.acts[l + i], nets[i])) @ W[i]
    return g


def _accumulated(q: str) -> Prediction:
    """The reference gradient plus those of the consecutive recorded steps before it (UPD-4)."""
    def predict(ev: Evidence, l: int):
        total, t = ev.ref(q, l), ev.s - 1
        while t in ev.by_step:
            total = total + ev.arrays(t, ev.dtype)[0][q, l]
            yield total
            t -= 1
    return predict


def _other_batches(ev: Evidence, l: int):
    """net[1] of every other mini-batch of the case, from the same state (UPD-3)."""
    now = batch_indices(ev.case, ev.s)
    for rows in ev.case["batches"] or []:
        if rows != now and l == 1:
            x = np.array([[float(v) for v in ev.case["x"][i]] for i in rows])
            yield x @ ev.W[0].T + ev.b[0]


def _naive_softplus(ev: Evidence, l: int):
    """log(1 + exp(net)) in the dtype under test: inf above its exp's range, 0 far below zero."""
    if ev.acts[l - 1] == "softplus" and ev.dtype in ("float64", "float32"):
        with np.errstate(over="ignore"):
            net = ev.ref("net", l).astype(ev.dtype)
            yield np.log(1 + np.exp(net)).astype(np.float64)


def _shifted(ev: Evidence, l: int) -> str | None:
    """The activation an index off by one picks for layer l (Python's -1 wraps), if it differs."""
    other = ev.acts[l - 2]
    return other if other != ev.acts[l - 1] else None


def _act(name: str, rule: Callable[[np.ndarray, np.ndarray, Evidence], np.ndarray]):
    return _derivative(lambda ev, l, net, out: _if(ev.acts[l - 1] == name, lambda: rule(net, out, ev)))


def _slope(ev: Evidence) -> float:
    return float(ev.case["activation_params"].get("leaky_relu_slope", "0.01"))


#: first failing quantity -> the bugs that can first show there, with their predictions
PREDICTIONS: dict[str, list[tuple[str, Prediction]]] = {
    "net": [("stale_minibatch", _other_batches)],
    "out": [
        ("activation_of_wrong_layer", lambda ev, l: [_if(
            _shifted(ev, l) is not None, lambda: ev.f(_shifted(ev, l), ev.ref("net", l)))]),
        ("softplus_overflow", _naive_softplus),
    ],
    "delta": [
        ("mean_loss_sum_gradient", lambda ev, l: [_if(
            l == ev.L and ev.case["reduction"] == "mean" and ev.B > 1, lambda: ev.ref("delta", l) * ev.B)]),
        ("mse_without_2", lambda ev, l: [_if(
            l == ev.L and ev.case["loss"] == "mse", lambda: ev.ref("delta", l) / 2)]),
        ("post_update", _hidden(lambda ev, l: ev.ref("delta", l + 1) @ (
            ev.W[l] - ev.eta * ev.ref("grad_W", l + 1)))),
        ("update_before_backprop", _hidden(_rerun)),
        ("transposed_weights", _hidden(lambda ev, l: _if(
            ev.W[l].shape[0] == ev.W[l].shape[1], lambda: ev.ref("delta", l + 1) @ ev.W[l].T))),
        ("no_activation_derivative", _derivative(lambda ev, l, net, out: np.ones_like(net))),
        ("sigmoid_out_form_on_net", _act("sigmoid", lambda net, out, ev: net * (1 - net))),
        ("tanh_out_form_on_net", _act("tanh", lambda net, out, ev: 1 - net * net)),
        ("net_form_on_out", _derivative(lambda ev, l, net, out: ev.df(ev.acts[l - 1], out))),
        ("relu_diff_on_net", _act("relu", lambda net, out, ev: np.where(net > 0, 1.0, net))),
        ("relu_prime_zero_is_one", _act("relu", lambda net, out, ev: (net >= 0) * 1.0)),
        ("leaky_relu_prime_zero_is_one", _act("leaky_relu", lambda net, out, ev: np.where(
            net >= 0, 1.0, _slope(ev)))),
        ("derivative_of_wrong_layer", _derivative(lambda ev, l, net, out: _if(
            _shifted(ev, l) is not None, lambda: ev.df(_shifted(ev, l), net)))),
    ],
    "grad_W": [("gradients_not_zeroed", _accumulated("grad_W"))],
    "grad_b": [
        ("bias_grad_first_sample", lambda ev, l: [_if(ev.B > 1, lambda: ev.ref("delta", l)[0])]),
        ("bias_grad_mean", lambda ev, l: [_if(ev.B > 1, lambda: ev.ref("grad_b", l) / ev.B)]),
        ("gradients_not_zeroed", _accumulated("grad_b")),
    ],
    "new_W": [("learning_rate_sign", lambda ev, l: [ev.W[l - 1] + ev.eta * ev.ref("grad_W", l)])],
    "new_b": [
        ("frozen_bias_updated", lambda ev, l: [_if(
            ev.conv["bias_update"] == "false", lambda: ev.b[l - 1] - ev.eta * ev.ref("grad_b", l))]),
        ("learning_rate_sign", lambda ev, l: [_if(
            ev.conv["bias_update"] == "true", lambda: ev.b[l - 1] + ev.eta * ev.ref("grad_b", l))]),
    ],
}


def float32_fingerprint(ev: Evidence, q: str, l: int) -> bool:
    """A float64 claim computed in float32: the first failing quantity is within float32's tolerance
    (or beyond float32's range, where float32 overflows), and some quantity the adapter returned holds
    only float32 numbers where the reference's are not (TOL-1, TOL-2)."""
    if ev.dtype != "float64":
        return False
    refs32, tols32 = ev.arrays(ev.s, "float32")
    got, ref, graded = ev.got(q, l), refs32[q, l], ~np.isnan(tols32[q, l])
    with np.errstate(all="ignore"):
        overflow = np.isinf(got) & (np.abs(ref) > np.finfo(np.float32).max) & (got * ref > 0)
        if not ((np.abs(got - ref) <= tols32[q, l]) | overflow)[graded].all():
            return False

    def as32(a: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return a.astype(np.float32).astype(np.float64)

    for (k, m), ref in refs32.items():
        got = None if k in STATE else ev.got(k, m)
        if got is not None and got.shape == ref.shape and (as32(got) == got).all() \
                and (as32(ref) != ref)[~np.isnan(ref)].any():
            return True
    return False


def diagnose(failures: list[dict], case: dict, by_step: dict[int, pd.DataFrame], step: int, out: dict,
             weights: Any, biases: Any, dtype: str, mode: str) -> str:
    """The catalogued bug(s) whose prediction reproduces the first failing quantity, or ''."""
    try:
        q, l = failures[0]["quantity"], failures[0]["layer"]
        ev = Evidence(case, by_step, step, out, weights, biases, dtype, mode)
        names = [name for name, predict in PREDICTIONS.get(q, ()) if ev.matches(q, l, predict(ev, l))]
        if not names and float32_fingerprint(ev, q, l):
            names = ["float32_accumulation"]
    except Exception:  # a diagnosis is a hint: it never fails a case or the run
        return ""
    return " or ".join(describe(n) for n in names)


def describe(name: str) -> str:
    """How a report names a catalogued bug: name, description and the spec IDs it violates."""
    return f"{name}: {CATALOGUE[name].description} ({CATALOGUE[name].spec_ids})"


def named(diagnosis: str) -> list[str]:
    """The bugs a diagnosis names ("a: ... or b: ...")."""
    return [n for n in re.findall(r"(?:^| or )(\w+): ", diagnosis) if n in CATALOGUE]
