"""Suite "unit": each activation and its derivative on the edges of each dtype (spec ACT-1..ACT-6).

Every point is posed as a whole training step of a one-layer network, layer_sizes [1, G], x = 1 and
zero biases, so net_j = w_j = the grid value: an adapter meets the activation only through the adapter
contract. With ``chain_factors`` the vectors also carry f'(net) itself. One case per activation and
dtype: the grid holds 0, the smallest subnormal and normal, epsilon, and the whole numbers either
side of every threshold where the dtype's arithmetic changes regime (exp overflows, a result rounds
to 1 or underflows), so every value is exact in the dtype whose range the case probes and in the
wider ones it lists. The loss cases live in ``unit_losses``.
"""

from __future__ import annotations

from fractions import Fraction

from bpspec.catalogue import unit_losses
from bpspec.catalogue.build import case
from bpspec.catalogue.dyadic import (
    binade,
    epsilon,
    largest,
    representable_in,
    smallest_normal,
    smallest_subnormal,
)

#: the dtype each grid probes -> the dtypes the case lists (the wider formats hold its values too)
DTYPE_FAMILIES = {
    "float16": ("float16", "float32", "float64"),
    "bfloat16": ("bfloat16", "float32", "float64"),
    "float32": ("float32", "float64"),
    "float64": ("float64",),
}

#: whole numbers either side of each regime change, per dtype: sigmoid rounds to 1 (1 - sigmoid <
#: eps/2), exp(x) overflows, exp(-x) underflows past half the smallest subnormal, tanh rounds to 1,
#: sech^2 underflows, cosh overflows; and two far points (|net| <= 2^20 where exp must be formed).
EDGES = {
    "float16": {"sig_sat": (7, 8), "exp_over": (11, 12), "exp_under": (17, 18), "tanh_sat": (4, 5),
                "sech_under": (9, 10), "cosh_over": (11, 12), "far": (1000, 65504)},
    "bfloat16": {"sig_sat": (5, 6), "exp_over": (88, 89), "exp_under": (92, 93), "tanh_sat": (3, 4),
                 "sech_under": (47, 48), "cosh_over": (89, 90), "far": (1000, 1 << 20)},
    "float32": {"sig_sat": (16, 17), "exp_over": (88, 89), "exp_under": (103, 105),
                "tanh_sat": (8, 9), "sech_under": (52, 53), "cosh_over": (89, 90), "far": (1000, 1 << 20)},
    "float64": {"sig_sat": (36, 37), "exp_over": (709, 710), "exp_under": (745, 750),
                "tanh_sat": (18, 19), "sech_under": (373, 374), "cosh_over": (710, 711),
                "far": (1000, 1 << 20)},
}
REGIMES = {
    "sigmoid": ("sig_sat", "exp_over", "exp_under", "far"),
    "softplus": ("sig_sat", "exp_over", "exp_under", "far"),
    "tanh": ("tanh_sat", "sech_under", "cosh_over", "far"),
}
#: float64 grids stop a factor below the largest double: the generator's error scales (TOL-4) are
#: sums like 2|w||x| + |out| in doubles, which must stay finite
TOP_MARGIN = {"float64": 4}
SLOPE = Fraction(1, 16)
ETA = Fraction(1, 2)


def grid(activation: str, dtype: str) -> list[Fraction]:
    """Sorted grid of pre-activations: 0, the tiny values, and each regime edge, with both signs."""
    points = {smallest_subnormal(dtype), smallest_normal(dtype), epsilon(dtype),
              Fraction(1, 2), Fraction(1), Fraction(2)}
    for regime in REGIMES.get(activation, ()):
        points.update(Fraction(v) for v in EDGES[dtype][regime])
    if activation not in REGIMES:   # piecewise linear: no exp, so the whole range up to the top
        top = largest(dtype) / TOP_MARGIN.get(dtype, 1)
        points.update({Fraction(3), Fraction(2) ** binade(top), top})
    return sorted({Fraction(0)} | points | {-p for p in points})


def target(activation: str, net: Fraction, dtypes) -> Fraction:
    """A target exact in ``dtypes`` that makes dE/dout = out - target a modest, cancellation-free number.

    sigmoid and tanh: 2, so out - 2 lies in (-3, -1). The unbounded activations: out - 1 when that is
    exact (then delta = f'(net) exactly), else -1 for |out| < 1, else out itself, so the loss never
    overflows (softplus uses max(net, 0), within ln 2 of its output).
    """
    if activation in ("sigmoid", "tanh"):
        return Fraction(2)
    out = {"identity": net, "leaky_relu": net if net > 0 else SLOPE * net}.get(activation, max(net, 0))
    if representable_in(out - 1, dtypes):
        return out - 1
    return Fraction(-1) if abs(out) < 1 else out


def activation_case(activation: str, dtype: str) -> dict:
    dtypes = DTYPE_FAMILIES[dtype]
    nets = grid(activation, dtype)
    assert all(representable_in(g, dtypes) for g in nets), (activation, dtype)
    return case(
        suite="unit", name=f"unit_{activation}_{dtype}",
        description=f"{activation} and its derivative on {len(nets)} pre-activations at the edges of "
                    f"{dtype}: zero, subnormals, epsilon and each overflow, underflow and saturation "
                    "threshold, as one step of a one-layer network with net = grid",
        layer_sizes=[1, len(nets)], activations=[activation], loss="half_sse", reduction="sum",
        learning_rate=ETA, x=[[1]], y=[[target(activation, g, dtypes) for g in nets]],
        weights=[[[g] for g in nets]], biases=[[0] * len(nets)], dtypes=dtypes,
        params={"leaky_relu_slope": SLOPE} if activation == "leaky_relu" else None,
        chain_factors=True)


def cases() -> list[dict]:
    """Every activation on every dtype's grid, then every loss x reduction (ACT, LOSS)."""
    acts = ("sigmoid", "tanh", "relu", "identity", "leaky_relu", "softplus")
    return [activation_case(a, d) for a in acts for d in EDGES] + unit_losses.cases()
