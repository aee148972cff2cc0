"""The catalogue of classic backprop bugs: each a small broken adapter the checker must reject.

``BUGS`` maps a bug's name to its implementation (a subclass of ``base.Backprop`` that overrides one
rule) and the vectors that catch it (``suite``, ``case`` glob). Its one-line description and the
spec IDs it violates are the checker's own, ``bpspec.conformance.diagnose.CATALOGUE``, so the
diagnosis a report prints and this table cannot drift apart. Any bug runs as an adapter::

    bpspec check --impl tests.adapters.bugs:post_update --suite seed

``docs/bugs.md`` is generated from this table by ``python -m tests.adapters.bugs.table``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bpspec.conformance.diagnose import CATALOGUE
from tests.adapters.bugs import activations as act
from tests.adapters.bugs import backward as bwd
from tests.adapters.bugs import numerics as num
from tests.adapters.bugs import updates as upd
from tests.adapters.bugs.base import Backprop


@dataclass(frozen=True)
class Bug:
    name: str
    make: type[Backprop]
    suite: str
    case: str
    """the vectors that catch it: a suite and a case glob (the tests run just these)"""

    @property
    def spec_ids(self) -> str:
        return CATALOGUE[self.name].spec_ids

    @property
    def description(self) -> str:
        return CATALOGUE[self.name].description


BUGS: dict[str, Bug] = {b.name: b for b in [
    Bug("post_update", bwd.PostUpdate, "seed", "mazur_2_2_2"),
    Bug("update_before_backprop", bwd.UpdateBeforeBackprop, "seed", "mazur_2_2_2"),
    Bug("transposed_weights", bwd.TransposedWeights, "seed", "mazur_2_2_2"),
    Bug("no_activation_derivative", act.NoActivationDerivative, "seed", "mazur_2_2_2"),
    Bug("sigmoid_out_form_on_net", act.SigmoidOutFormOnNet, "seed", "mazur_2_2_2"),
    Bug("tanh_out_form_on_net", act.TanhOutFormOnNet, "unit", "unit_tanh_float64"),
    Bug("net_form_on_out", act.NetFormOnOut, "seed", "mazur_2_2_2"),
    Bug("relu_diff_on_net", act.ReluDiffOnNet, "unit", "unit_relu_float64"),
    Bug("relu_prime_zero_is_one", act.ReluPrimeZeroIsOne, "kinks", "kinks_relu_002"),
    Bug("leaky_relu_prime_zero_is_one", act.LeakyReluPrimeZeroIsOne, "kinks", "kinks_leaky_relu_006"),
    Bug("derivative_of_wrong_layer", act.DerivativeOfWrongLayer, "kinks", "kinks_identity_relu_001"),
    Bug("activation_of_wrong_layer", act.ActivationOfWrongLayer, "kinks", "kinks_identity_relu_000"),
    Bug("softplus_overflow", act.SoftplusOverflow, "unit", "unit_softplus_float64"),
    Bug("bias_grad_first_sample", bwd.BiasGradFirstSample, "kinks", "kinks_identity_relu_001"),
    Bug("bias_grad_mean", bwd.BiasGradMean, "kinks", "kinks_identity_relu_001"),
    Bug("mean_loss_sum_gradient", bwd.MeanLossSumGradient, "kinks", "kinks_relu_002"),
    Bug("mse_without_2", bwd.MseWithout2, "seed", "seed004_sigmoid_neuron"),
    Bug("learning_rate_sign", upd.LearningRateSign, "seed", "mazur_2_2_2"),
    Bug("frozen_bias_updated", upd.FrozenBiasUpdated, "seed", "mazur_2_2_2"),
    Bug("gradients_not_zeroed", upd.GradientsNotZeroed, "trajectories", "trajectories_full_sigmoid_000"),
    Bug("stale_minibatch", upd.StaleMinibatch, "trajectories", "trajectories_mini_sigmoid_001"),
    Bug("float32_accumulation", num.Float32Accumulation, "seed", "mazur_2_2_2"),
]}


def __getattr__(name: str) -> Backprop:
    """``tests.adapters.bugs:<name>``: a fresh adapter of that bug, for ``--impl`` (ADP-5)."""
    if name in BUGS:
        return BUGS[name].make()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
