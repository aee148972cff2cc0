"""Suite "unit", losses: each loss x reduction and its derivative on (out, target) pairs (LOSS-1..LOSS-4).

Posed as one step of an identity-activation one-layer network, out = net = W x + b with b = 0, over a
batch of 4 so the batch reduction (sum or mean, LOSS-4) changes every gradient. Output j of sample s
is w_j x_s; its target cycles through equal, one unit in the last place either way (a tiny absolute
difference where out = 0), half of out, zero, large of either sign and the opposite of out, so each
output meets several kinds across the batch. Three scales: one exact in every dtype, one for
float32's range and one for float64's (where the tiny difference squares below the smallest
subnormal).
"""

from __future__ import annotations

from fractions import Fraction

from bpspec.catalogue.build import case
from bpspec.catalogue.dyadic import ALL_DTYPES, FORMATS, binade, representable_in

X = [Fraction(1), Fraction(-1), Fraction(1, 2), Fraction(2)]
TWO = Fraction(2)

#: scale -> (dtypes listed, weights w_j, large target, tiny target where out = 0)
SCALES = {
    "all": (ALL_DTYPES,
            [Fraction(0), Fraction(1), Fraction(-3, 4), Fraction(1, 64), Fraction(-2),
             Fraction(3, 2), Fraction(5, 16), Fraction(-1, 8)],
            Fraction(16), TWO ** -20),
    "float32": (("float32", "float64"),
                [Fraction(0), TWO ** 40, -(TWO ** -40), 3 * TWO ** 20, Fraction(-1),
                 TWO ** -100, 5 * TWO ** 55, -7 * TWO ** -60],
                TWO ** 60, TWO ** -70),
    "float64": (("float64",),
                [Fraction(0), TWO ** 300, -(TWO ** -300), 3 * TWO ** 100, Fraction(-1),
                 TWO ** -1000, 5 * TWO ** 450, -7 * TWO ** -500],
                TWO ** 500, TWO ** -600),
}
ETA = Fraction(1, 4)


def target(kind: int, out: Fraction, precision: int, large: Fraction, tiny: Fraction) -> Fraction:
    """The target of kind ``kind`` (0..7) for an output ``out``; each is exact where ``out`` is.

    0 equal, 1 and 2 one unit in the last place (of the coarsest listed dtype) above and below, or
    +-tiny at out = 0, 3 half of out, 4 zero, 5 and 6 large of either sign, 7 the opposite of out.
    """
    ulp = TWO ** (binade(out) - precision + 1) if out else tiny
    return [out, out + ulp, out - ulp, out / 2, Fraction(0), large, -large / 2, -out][kind]


def loss_case(loss: str, reduction: str, scale: str) -> dict:
    dtypes, w, large, tiny = SCALES[scale]
    precision = min(FORMATS[d][0] for d in dtypes)
    outs = [[wj * xs for wj in w] for xs in X]
    y = [[target((j + 3 * s) % 8, o, precision, large, tiny) for j, o in enumerate(row)]
         for s, row in enumerate(outs)]
    assert all(representable_in(v, dtypes) for row in outs + y for v in row), (loss, scale)
    return case(
        suite="unit", name=f"unit_{loss}_{reduction}_{scale}",
        description=f"{loss} with a {reduction} over a batch of 4 and its derivative on 32 (out, "
                    f"target) pairs at the {scale} scale: equal, one ulp apart, halved, zero, large "
                    "and opposite targets",
        layer_sizes=[1, len(w)], activations=["identity"], loss=loss, reduction=reduction,
        learning_rate=ETA, x=[[xs] for xs in X], y=y, weights=[[[wj] for wj in w]],
        biases=[[0] * len(w)], dtypes=dtypes, chain_factors=True)


def cases() -> list[dict]:
    return [loss_case(loss, reduction, scale) for loss in ("half_sse", "sse", "mse")
            for reduction in ("sum", "mean") for scale in SCALES]
