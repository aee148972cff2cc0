"""Dyadic rationals: exact decimal strings, floating-point formats, and seeded draws (spec NUM-1).

Every generated input is a dyadic rational ``k / 2^m`` with few significant bits, so that float16,
bfloat16, float32 and float64 all hold it exactly and every dtype under test starts from exactly the
reference's inputs. A dyadic rational has a finite decimal expansion; ``decimal`` writes it in full,
never through a binary float. Draws take a ``random.Random`` seeded by the caller, whose integer
methods give the same sequence on every machine and Python version.
"""

from __future__ import annotations

import random
from fractions import Fraction

#: dtype -> (significant bits p, exponent of the smallest normal, exponent of the largest finite)
FORMATS: dict[str, tuple[int, int, int]] = {
    "float16": (11, -14, 15),
    "bfloat16": (8, -126, 127),
    "float32": (24, -126, 127),
    "float64": (53, -1022, 1023),
}
ALL_DTYPES = ("float64", "float32", "float16", "bfloat16")


def largest(dtype: str) -> Fraction:
    """The largest finite value of ``dtype``, (2 - 2^(1-p)) 2^emax."""
    p, _, emax = FORMATS[dtype]
    return Fraction((1 << p) - 1) * Fraction(2) ** (emax - p + 1)


_LARGEST = {dtype: int(largest(dtype)) for dtype in FORMATS}   # whole numbers in every format


def smallest_normal(dtype: str) -> Fraction:
    return Fraction(2) ** FORMATS[dtype][1]


def smallest_subnormal(dtype: str) -> Fraction:
    p, emin, _ = FORMATS[dtype]
    return Fraction(2) ** (emin - p + 1)


def epsilon(dtype: str) -> Fraction:
    """The gap between 1 and the next larger value of ``dtype``, 2^(1-p)."""
    return Fraction(2) ** (1 - FORMATS[dtype][0])


def representable(q: Fraction, dtype: str) -> bool:
    """Whether ``q`` is exactly a finite value of ``dtype`` (subnormals included)."""
    num, den = abs(q.numerator), q.denominator
    if num == 0:
        return True
    if den & (den - 1) or num > _LARGEST[dtype] * den:
        return False
    p, emin, _ = FORMATS[dtype]
    lsb = max(num.bit_length() - den.bit_length(), emin) - p + 1   # exponent of q's last place
    if lsb >= 0:
        return den == 1 and num % (1 << lsb) == 0
    return den.bit_length() - 1 <= -lsb


def binade(q: Fraction) -> int:
    """floor(log2 |q|) of a non-zero dyadic rational."""
    q = abs(Fraction(q))
    return q.numerator.bit_length() - q.denominator.bit_length()


def representable_in(q: Fraction, dtypes) -> bool:
    return all(representable(q, d) for d in dtypes)


def decimal(q: Fraction | int) -> str:
    """The exact decimal string of a rational whose denominator is 2^a 5^b.

    >>> decimal(Fraction(3, 64)), decimal(Fraction(-5, 2)), decimal(Fraction(48)), decimal(0)
    ('0.046875', '-2.5', '48', '0')
    """
    q = Fraction(q)
    den, a, b = q.denominator, 0, 0
    while den % 2 == 0:
        den, a = den // 2, a + 1
    while den % 5 == 0:
        den, b = den // 5, b + 1
    if den != 1:
        raise ValueError(f"{q} has no finite decimal expansion")
    k = max(a, b)
    digits = str(abs(q.numerator) * 10**k // q.denominator).rjust(k + 1, "0")
    whole, frac = digits[: len(digits) - k], digits[len(digits) - k:].rstrip("0")
    return ("-" if q < 0 else "") + whole + ("." + frac if frac else "")


def decimals(nested):
    """``decimal`` applied to every number of a nested list."""
    if isinstance(nested, list | tuple):
        return [decimals(item) for item in nested]
    return decimal(nested)


def draw(rng: random.Random, lo: int = -8, hi: int = 1, bits: int = 8,
         sign: bool = True, zero: float = 0.0) -> Fraction:
    """A dyadic value in [2^lo, 2^(hi+1)) with at most ``bits`` significant bits, or 0.

    The binade is uniform in lo..hi, the number of significant bits uniform in 1..bits. With the
    defaults the magnitude lies in [2^-8, 4) with 8 significant bits: exact in float16 and bfloat16.
    """
    if zero and rng.random() < zero:
        return Fraction(0)
    e, b = rng.randint(lo, hi), rng.randint(1, bits)
    k = rng.randint(1 << (b - 1), (1 << b) - 1)
    value = Fraction(k) * Fraction(2) ** (e - b + 1)
    return -value if sign and rng.random() < 0.5 else value


def draw_matrix(rng: random.Random, rows: int, cols: int, **kw) -> list[list[Fraction]]:
    return [[draw(rng, **kw) for _ in range(cols)] for _ in range(rows)]


def draw_network(rng: random.Random, sizes: list[int], bias_zero: float = 0.2):
    """Initial weights and biases for layer widths ``sizes``, scaled down with the fan-in.

    A weight's binade tops out near 1/sqrt(fan_in), so pre-activations stay of order one in every
    dtype however wide the layer.
    """
    weights, biases = [], []
    for n_in, n_out in zip(sizes, sizes[1:], strict=False):
        hi = -(n_in.bit_length() // 2)
        weights.append(draw_matrix(rng, n_out, n_in, lo=max(-8, hi - 4), hi=hi))
        biases.append([draw(rng, lo=-6, hi=-1, zero=bias_zero) for _ in range(n_out)])
    return weights, biases


def draw_target(rng: random.Random, activation: str) -> Fraction:
    """A target inside the range of the output activation, so training has somewhere to go."""
    if activation == "sigmoid":
        return draw(rng, lo=-6, hi=-1, sign=False)
    if activation == "tanh":
        return draw(rng, lo=-6, hi=-1)
    return draw(rng, lo=-4, hi=0, sign=activation not in ("relu", "softplus"), zero=0.1)


def power_of_two(rng: random.Random, lo: int = 1, hi: int = 6) -> Fraction:
    """A learning rate 2^-k with k uniform in lo..hi (UPD-1): exact in every dtype."""
    return Fraction(1, 1 << rng.randint(lo, hi))


def exact_in_any_order(terms, precision: int = 8) -> bool:
    """Whether every partial sum of ``terms``, in any order, has at most ``precision`` bits.

    Then a dot product over these terms is exact in any dtype of that precision whatever order an
    implementation sums in: all terms are multiples of the finest one's last place, and their
    absolute sum stays below 2^precision such places.
    """
    terms = [Fraction(t) for t in terms if t]
    if not terms:
        return True
    unit = min(Fraction(1, abs(t).denominator) for t in terms)
    return sum(abs(t) for t in terms) / unit < 1 << precision
