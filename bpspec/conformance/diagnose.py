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
from typing import Any, NamedTuple

from bpspec.conformance.evidence import Evidence
from bpspec.conformance.rows import Rows
from bpspec.conformance.signatures import PREDICTIONS, float32_fingerprint


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


def diagnose(failures: list[dict], case: dict, by_step: dict[int, Rows], step: int, out: dict,
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
