"""Results at 50 and at 100 digits agree to at least 45 digits: the basis of the certified digits
of the vectors (NUM-2, CERT-1)."""

from __future__ import annotations

from mpmath import mp

from bpspec.reference import step

AGREE = 45


def flatten(value):
    if isinstance(value, list):
        for item in value:
            yield from flatten(item)
    else:
        yield value


def test_precisions_agree(network):
    """Every output of step() at 50 digits matches the 100-digit result to 45 digits (NUM-2)."""
    low, high = step(network, 50), step(network, 100)
    assert low.keys() == high.keys()
    with mp.workdps(110):
        for key in low:
            for a, b in zip(flatten(low[key]), flatten(high[key]), strict=True):
                assert abs(a - b) <= abs(b) * mp.mpf(10) ** -AGREE, key


def test_precision_is_local(network):
    """step() leaves the global mpmath precision as it found it (NUM-2)."""
    before = mp.dps
    step(network, 80)
    assert mp.dps == before


def test_decimal_inputs_are_exact_at_working_precision():
    """'0.1' is read at the working precision, not through a double (NUM-1)."""
    inp = {"layer_sizes": [1, 1], "activations": ["identity"], "loss": "half_sse",
           "reduction": "sum", "learning_rate": "1", "x": [["1"]], "y": [["0"]],
           "weights": [[["0.1"]]], "biases": [["0"]]}
    out = step(inp, 60)
    with mp.workdps(60):
        assert out["nets"][0][0][0] == mp.mpf("0.1")
        assert out["nets"][0][0][0] != mp.mpf(0.1)
