"""The NumPy adapter's side of the contract: input forms, output shapes and dtypes, the stacked form,
and the errors a broken input or an unsupported dtype raises (ADP-1 .. ADP-4, NUM-1)."""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pytest

from bpspec.contract import ContractError
from bpspec.impl import adapter

KEYS = ("grad_weights", "grad_biases", "new_weights", "new_biases", "nets", "outs", "deltas")


@pytest.fixture
def inp() -> dict:
    """A 3-2-1 network, batch 2, numbers as decimal strings."""
    return {
        "layer_sizes": [3, 2, 1], "activations": ["tanh", "sigmoid"], "loss": "mse",
        "reduction": "mean", "learning_rate": "0.25",
        "x": [["0.5", "-1", "0.25"], ["1.5", "0", "-0.75"]], "y": [["0.5"], ["-0.25"]],
        "weights": [[["0.1", "0.2", "-0.3"], ["0.4", "-0.5", "0.6"]], [["0.7", "-0.8"]]],
        "biases": [["0.125", "-0.125"], ["0.0625"]],
    }


def stack(inp: dict, cases: int) -> dict:
    """The same step ``cases`` times, every array with a leading case axis."""
    def rep(a):
        return np.repeat(np.asarray(a, dtype=np.float64)[None], cases, axis=0)
    return {**inp, "x": rep(inp["x"]), "y": rep(inp["y"]), "learning_rate": rep(inp["learning_rate"]),
            "weights": [rep(w) for w in inp["weights"]], "biases": [rep(b) for b in inp["biases"]]}


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
def test_output_keys_shapes_and_dtypes(inp, dtype):
    """ADP-2: the loss is a scalar of the dtype; every list has one array per layer, shaped as NOT-1."""
    got = adapter.step({**inp, "dtype": dtype})
    assert np.ndim(got["loss"]) == 0 and np.asarray(got["loss"]).dtype.name == dtype
    widths = [(3, 2), (2, 1)]
    for key in KEYS:
        assert [a.dtype.name for a in got[key]] == [dtype, dtype]
    assert [w.shape for w in got["grad_weights"]] == [(o, i) for i, o in widths]
    assert [w.shape for w in got["new_weights"]] == [(o, i) for i, o in widths]
    assert [b.shape for b in got["new_biases"]] == [(2,), (1,)] == [b.shape for b in got["grad_biases"]]
    assert [a.shape for a in got["deltas"]] == [(2, 2), (2, 1)] == [a.shape for a in got["outs"]]


def test_input_forms_agree(inp):
    """ADP-1, NUM-1: decimal strings, floats and arrays of one value give one result."""
    floats = copy.deepcopy(inp)
    floats["x"] = np.array(inp["x"], dtype=float)
    floats["weights"] = [np.array(w, dtype=float).tolist() for w in inp["weights"]]
    floats["learning_rate"] = 0.25
    a, b = adapter.step(inp), adapter.step(floats)
    assert a["loss"] == b["loss"]
    for key in KEYS:
        for p, q in zip(a[key], b[key], strict=True):
            np.testing.assert_array_equal(p, q)


def test_input_is_not_modified(inp):
    """ADP-1: an adapter must not modify the dict or the arrays it is given."""
    arrays = stack(inp, 3)
    before = copy.deepcopy(inp), copy.deepcopy(arrays)
    adapter.step(inp)
    adapter.step_stacked(arrays)
    assert inp == before[0]
    for key in ("x", "y"):
        np.testing.assert_array_equal(arrays[key], before[1][key])


def test_stacked_learning_rate_per_case(inp):
    """UPD-1 per case: a (C,) learning rate updates each case with its own eta."""
    arrays = stack(inp, 3)
    arrays["learning_rate"] = np.array([0.0, 0.25, 0.5])
    got = adapter.step_stacked(arrays)
    assert got["loss"].shape == (3,) and got["new_weights"][0].shape == (3, 2, 3)
    np.testing.assert_array_equal(got["new_weights"][1][0], arrays["weights"][1][0])
    for c, eta in enumerate(("0.25", "0.5"), start=1):
        one = adapter.step({**inp, "learning_rate": eta})
        np.testing.assert_array_equal(got["new_weights"][0][c], one["new_weights"][0])


@pytest.mark.parametrize("dtype", ["float8", "int32", "complex128", "longdouble"])
def test_unsupported_dtype_is_not_implemented(inp, dtype):
    """ADP-3: an unsupported dtype raises NotImplementedError with a reason."""
    with pytest.raises(NotImplementedError, match="dtype"):
        adapter.step({**inp, "dtype": dtype})


BROKEN = {
    "missing y": lambda d: d.pop("y"),
    "ragged x": lambda d: d.update(x=[["1", "2", "3"], ["1"]]),
    "x width": lambda d: d.update(x=[["1", "2"], ["3", "4"]]),
    "one bias short": lambda d: d["biases"].pop(),
    "NaN weight": lambda d: d["weights"][0][0].__setitem__(0, "nan"),
    "not a number": lambda d: d["y"][0].__setitem__(0, "abc"),
    "overflow in float16": lambda d: d.update(dtype="float16", x=[["1e6", "0", "0"], ["0", "0", "0"]]),
    "unknown activation": lambda d: d.update(activations=["tanh", "swish"]),
    "unknown convention": lambda d: d.update(conventions={"bias_updates": "false"}),
    "bad convention value": lambda d: d.update(conventions={"hidden_delta_weights": "later"}),
    "bad slope": lambda d: d.update(activation_params={"leaky_relu_slope": "steep"}),
    "vector learning rate": lambda d: d.update(learning_rate=[0.1, 0.2]),
    "zero width": lambda d: d.update(layer_sizes=[3, 0, 1]),
}


@pytest.mark.parametrize("breakage", BROKEN)
def test_broken_input_is_a_contract_error(inp, breakage):
    """ADP-4: a broken input raises ContractError, a one-line input error, never a crash."""
    BROKEN[breakage](inp)
    with pytest.raises(ContractError) as err:
        adapter.step(inp)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("breakage", ["case counts differ", "unstacked x", "learning rates"])
def test_broken_stack_is_a_contract_error(inp, breakage):
    """ADP-4 for the stacked form: every array carries the same leading case axis."""
    arrays = stack(inp, 3)
    if breakage == "case counts differ":
        arrays["y"] = arrays["y"][:2]
    elif breakage == "unstacked x":
        arrays["x"] = arrays["x"][0]
    else:
        arrays["learning_rate"] = np.array([0.1, 0.2])
    with pytest.raises(ContractError):
        adapter.step_stacked(arrays)


def test_impl_never_imports_the_reference():
    """Data flows one way: importing and running bpspec.impl loads no bpspec.reference module."""
    code = ("import sys, bpspec.impl as impl; impl.train({'layer_sizes': [1, 1], 'activations': "
            "['sigmoid'], 'loss': 'sse', 'reduction': 'sum', 'learning_rate': 1, 'x': [[1]], "
            "'y': [[0]], 'weights': [[[1]]], 'biases': [[0]]}, 2); "
            "print([m for m in sys.modules if m.startswith('bpspec.reference')])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
