"""Each catalogued bug's signature: what it would have returned for the quantity that failed first
(spec CHK-5; the bugs: ``diagnose.CATALOGUE``, docs/bugs.md).

``PREDICTIONS`` maps a quantity to the bugs that can first show in it, each with a function giving
its candidate values from the ``Evidence`` alone; ``float32_fingerprint`` recognises float32
arithmetic inside a float64 claim, which has no single prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from bpspec.cases import batch_indices
from bpspec.conformance.evidence import Evidence
from bpspec.conformance.index import STATE

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
