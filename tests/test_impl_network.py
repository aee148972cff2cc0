"""The NumPy step against the mpmath reference on random networks, stacked against unstacked, and
seed 000's published figures (FWD, LOSS, BWD, GRD, UPD, CNV).

Every activation x loss x reduction x convention setting (mse_grad_factor only with mse, where it
matters, CNV-3), depth 1-3, batch 1 and 4. Inputs are dyadic (k/64), exact in float32, so the
errors are the implementation's arithmetic alone. A value passes when |got - ref| <= rtol * scale,
with scale the largest magnitude in its array (sums with cancellation make tiny entries
elementwise unbounded) and, for E_total, |E| + sqrt(|E|) max|out| (the effect of rounding out in
(y - out)^2). float64: rtol 1e-12, some 10^4 unit roundoffs; float32: rtol 1e-4, the same headroom
over its unit roundoff 6e-8 for depth 3, width 3, batch 4.
"""

from __future__ import annotations

import functools
import itertools
import random
import warnings

import numpy as np
import pytest

from bpspec.contract import ACTIVATION_NAMES, LOSS_NAMES, REDUCTIONS
from bpspec.impl import adapter, gemm
from bpspec.reference import step as reference_step

RTOL = {"float64": 1e-12, "float32": 1e-4}
ARRAYS = ("nets", "outs", "deltas", "grad_weights", "grad_biases", "new_weights", "new_biases")
SETTINGS = [
    (act, loss, red, {"hidden_delta_weights": h, "bias_update": b, "mse_grad_factor": m})
    for act, loss, red, h, b, m in itertools.product(ACTIVATION_NAMES, LOSS_NAMES, REDUCTIONS,
                                                     ("pre_update", "post_update"), ("true", "false"),
                                                     ("2/n", "1"))
    if loss == "mse" or m == "2/n"
]
SHAPES = [(depth, batch) for depth in (1, 2, 3) for batch in (1, 4)]


def setting_id(setting) -> str:
    act, loss, red, conv = setting
    return "-".join([act, loss, red, *conv.values()])


def make_network(act: str, loss: str, reduction: str, conv: dict, depth: int, batch: int,
                 activations: list[str] | None = None) -> dict:
    """A step input with dyadic decimal strings, reproducible from its arguments."""
    rng = random.Random(f"{act}/{loss}/{reduction}/{sorted(conv.items())}/{depth}/{batch}")
    sizes = [rng.randint(1, 3) for _ in range(depth + 1)]

    def value() -> str:
        return str(rng.randint(-63, 63) / 64)

    return {
        "layer_sizes": sizes, "activations": activations or [act] * depth,
        "activation_params": {"leaky_relu_slope": "0.125"}, "loss": loss, "reduction": reduction,
        "learning_rate": "0.5", "conventions": conv,
        "x": [[value() for _ in range(sizes[0])] for _ in range(batch)],
        "y": [[value() for _ in range(sizes[-1])] for _ in range(batch)],
        "weights": [[[value() for _ in range(a)] for _ in range(b)]
                    for a, b in zip(sizes, sizes[1:], strict=False)],
        "biases": [[value() for _ in range(b)] for b in sizes[1:]],
    }


@functools.cache
def reference(setting_index: int, depth: int, batch: int) -> tuple[dict, dict]:
    act, loss, red, conv = SETTINGS[setting_index]
    inp = make_network(act, loss, red, conv, depth, batch)
    return inp, reference_step(inp, 40)


def assert_matches(got: dict, ref: dict, rtol: float) -> None:
    for key in ARRAYS:
        for layer, (g, r) in enumerate(zip(got[key], ref[key], strict=True)):
            r = np.array(r, dtype=np.float64)
            err = np.abs(np.asarray(g, dtype=np.float64) - r).max()
            assert err <= rtol * np.abs(r).max(), f"{key}[{layer}]: error {err:.3g}"
    E, out = float(ref["loss"]), np.abs(np.array(ref["outs"][-1], dtype=np.float64)).max()
    assert abs(float(got["loss"]) - E) <= rtol * (abs(E) + np.sqrt(abs(E)) * out)


@pytest.mark.parametrize("dtype", RTOL)
@pytest.mark.parametrize("depth,batch", SHAPES, ids=[f"depth{d}-batch{b}" for d, b in SHAPES])
@pytest.mark.parametrize("index", range(len(SETTINGS)), ids=[setting_id(s) for s in SETTINGS])
def test_step_matches_reference(index, depth, batch, dtype):
    """FWD-1, FWD-2, LOSS-4, BWD-1, BWD-2, BWD-3, GRD-1, GRD-2, UPD-1, UPD-2, CNV-1, CNV-2, CNV-3."""
    inp, ref = reference(index, depth, batch)
    assert_matches(adapter.step({**inp, "dtype": dtype}), ref, RTOL[dtype])


def test_mixed_activations_match_reference():
    """FWD-2: each layer applies its own activation (ACT-1 .. ACT-6 in one network)."""
    layers = ["softplus", "leaky_relu", "tanh", "relu", "sigmoid", "identity"]
    inp = make_network("", "sse", "mean", {}, len(layers), 4, layers)
    assert_matches(adapter.step(inp), reference_step(inp, 40), RTOL["float64"])


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
@pytest.mark.parametrize("index", range(0, len(SETTINGS), 7))
def test_stacked_equals_unstacked_bitwise(index, dtype, batch):
    """ADP-5, FWD-1 .. UPD-2: step_many stacks cases, and a case's numbers do not depend on what
    it is stacked with: each result is bitwise what step returns, signs of zero included (batch 1
    takes grad_W as an outer product, GRD-1)."""
    act, loss, red, conv = SETTINGS[index]
    base = {**make_network(act, loss, red, conv, 3, batch), "dtype": dtype}
    inputs = [{**base, "x": np.array(base["x"], dtype=float) * (1 - c / 4),
               "weights": [np.array(w, dtype=float) * (1 + c / 8) for w in base["weights"]]}
              for c in range(3)]
    for single, many in zip(map(adapter.step, inputs), adapter.ADAPTER.step_many(inputs), strict=True):
        assert np.asarray(single["loss"]).tobytes() == np.asarray(many["loss"]).tobytes()
        for key in ARRAYS:
            for a, b in zip(single[key], many[key], strict=True):
                np.testing.assert_array_equal(a, b, err_msg=key)
                assert a.tobytes() == b.tobytes(), key


BLAS_LAYERS = [("tanh", "sigmoid"), ("relu", "softplus"), ("leaky_relu", "identity")]


@functools.cache
def blas_case(layers: tuple[str, str]) -> tuple[dict, dict]:
    """A network for the BLAS path (24-40-8, batch 16) with dyadic numbers, and its reference step."""
    rng = random.Random(f"blas/{layers}")
    sizes, batch = [24, 40, 8], 16

    def value() -> str:
        return str(rng.randint(-63, 63) / 64)

    inp = {"layer_sizes": sizes, "activations": list(layers),
           "activation_params": {"leaky_relu_slope": "0.125"}, "loss": "mse", "reduction": "mean",
           "learning_rate": "0.5", "conventions": {},
           "x": [[value() for _ in range(sizes[0])] for _ in range(batch)],
           "y": [[value() for _ in range(sizes[-1])] for _ in range(batch)],
           "weights": [[[str(rng.randint(-15, 15) / 64) for _ in range(a)] for _ in range(b)]
                       for a, b in zip(sizes, sizes[1:], strict=False)],
           "biases": [[value() for _ in range(b)] for b in sizes[1:]]}
    assert gemm.worth_it(sizes, batch)
    return inp, reference_step(inp, 40)


@pytest.mark.parametrize("dtype", RTOL)
@pytest.mark.parametrize("layers", BLAS_LAYERS, ids=["-".join(pair) for pair in BLAS_LAYERS])
def test_blas_path_matches_reference(layers, dtype):
    """FWD-1 .. UPD-2 through bpspec.impl.gemm (matrix products by BLAS), every activation."""
    inp, ref = blas_case(layers)
    assert_matches(adapter.step({**inp, "dtype": dtype}), ref, RTOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32", "bfloat16"])
def test_stacked_equals_unstacked_bitwise_through_blas(dtype):
    """ADP-5: a network large enough for the BLAS path (bpspec.impl.gemm) runs one matrix product per
    case, so stacked and unstacked results stay bitwise identical there too."""
    rng = np.random.default_rng(5)
    sizes, batch = [24, 40, 8], 16
    assert gemm.worth_it(sizes, batch)
    base = {"layer_sizes": sizes, "activations": ["tanh", "sigmoid"], "loss": "mse", "reduction": "mean",
            "learning_rate": 0.125, "dtype": dtype, "conventions": {"hidden_delta_weights": "post_update"}}
    inputs = [{**base, "x": rng.uniform(-1, 1, (batch, sizes[0])), "y": rng.uniform(0, 1, (batch, sizes[-1])),
               "weights": [rng.uniform(-1, 1, (b, a)) for a, b in zip(sizes, sizes[1:], strict=False)],
               "biases": [rng.uniform(-1, 1, b) for b in sizes[1:]]} for _ in range(3)]
    for single, many in zip(map(adapter.step, inputs), adapter.ADAPTER.step_many(inputs), strict=True):
        assert np.array_equal(np.asarray(single["loss"]), np.asarray(many["loss"]))
        for key in ARRAYS:
            for a, b in zip(single[key], many[key], strict=True):
                np.testing.assert_array_equal(a, b, err_msg=key)


@pytest.mark.parametrize("bias_update", ["true", "false"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_large_stack_equals_unstacked_bitwise(bias_update, dtype):
    """ADP-5, UPD-2, CNV-2: a stack large enough for the scratch workspace and a results block (the
    W4 layout: targets read through a strided view, frozen biases copied straight into the results)
    gives each case the bits of its own step; its results outlive the next step."""
    rng = np.random.default_rng(11)
    n = 3000
    inp = {"layer_sizes": [2, 3, 2], "activations": ["sigmoid", "tanh"], "loss": "half_sse",
           "reduction": "sum", "dtype": dtype, "conventions": {"bias_update": bias_update},
           "learning_rate": rng.uniform(0.1, 1, n), "x": rng.uniform(-1, 1, (n, 1, 2)),
           "y": rng.uniform(0, 1, (n, 1, 2)),
           "weights": [rng.uniform(-1, 1, (n, 3, 2)), rng.uniform(-1, 1, (n, 2, 3))],
           "biases": [rng.uniform(-1, 1, (n, 3)), rng.uniform(-1, 1, (n, 2))]}
    many = adapter.step_stacked(inp)
    adapter.step_stacked({**inp, "x": -inp["x"], "biases": [-b for b in inp["biases"]]})
    for c in (0, 1, n // 2, n - 1):
        single = adapter.step({**inp, **{k: inp[k][c] for k in ("x", "y", "learning_rate")},
                               "weights": [w[c] for w in inp["weights"]],
                               "biases": [b[c] for b in inp["biases"]]})
        assert np.array_equal(np.asarray(single["loss"]), np.asarray(many["loss"][c]))
        for key in ARRAYS:
            for a, b in zip(single[key], many[key], strict=True):
                np.testing.assert_array_equal(a, b[c], err_msg=key)
    if bias_update == "false":
        for got, given in zip(many["new_biases"], inp["biases"], strict=True):
            np.testing.assert_array_equal(got, given.astype(dtype))


@pytest.fixture
def w4_like():
    """A stack of 3,000 2-2-2 networks (results larger than ``network.SMALL_RESULTS``) and its step."""
    from bpspec.impl import network

    rng = np.random.default_rng(5)
    n = 3000
    net = network.Network(("sigmoid", "sigmoid"), "half_sse", "sum")
    arrays = {"x": rng.uniform(-1, 1, (n, 1, 2)), "y": rng.uniform(0, 1, (n, 1, 2)),
              "weights": [rng.uniform(-1, 1, (n, 2, 2)) for _ in range(2)],
              "biases": [rng.uniform(-1, 1, (n, 2)) for _ in range(2)], "learning_rate": 0.5}
    return functools.partial(network.step, net), arrays


def _block(result) -> int:
    """The address of the memory block a step's results were cut from."""
    return result.nets[0].base.__array_interface__["data"][0]


def test_results_block_recycled_only_when_unused(w4_like):
    """ADP-2: the results of a large step come from a block of the thread's once no earlier result
    uses it (no fresh memory to fault in), and a result still held is never overwritten."""
    step, arrays = w4_like
    first = step(**arrays)
    address = _block(first)
    del first
    second = step(**arrays)
    assert _block(second) == address
    held = [np.array(a) for a in (*second.nets, *second.deltas, *second.new_weights)]
    third = step(**{**arrays, "x": -arrays["x"]})
    assert _block(third) != address
    assert all(np.array_equal(a, b) for a, b in zip(held, (*second.nets, *second.deltas,
                                                           *second.new_weights), strict=True))
    ones = [second.new_weights[1], third.nets[0]]
    kept = [np.array(a) for a in ones]
    del second, third
    fourth = step(**{**arrays, "y": -arrays["y"], "x": 2 * arrays["x"]})
    assert all(np.array_equal(a, b) for a, b in zip(ones, kept, strict=True))
    assert not np.array_equal(fourth.nets[0], kept[1])


def test_results_fed_back_step_after_step(w4_like):
    """UPD-3: a loop that feeds each step's new parameters (views into its results block) to the
    next gets the bits of a loop on copies of them."""
    step, arrays = w4_like
    weights, biases = arrays["weights"], arrays["biases"]
    copied_w, copied_b = weights, biases
    for _ in range(5):
        r = step(**{**arrays, "weights": weights, "biases": biases})
        weights, biases = r.new_weights, r.new_biases
        c = step(**{**arrays, "weights": copied_w, "biases": copied_b})
        copied_w, copied_b = [np.array(w) for w in c.new_weights], [np.array(b) for b in c.new_biases]
        assert all(np.array_equal(a, b) for a, b in zip(weights + biases, copied_w + copied_b, strict=True))


@pytest.fixture(scope="module")
def seed_000(seed_case) -> dict:
    from bpspec.cases import step_input
    case = seed_case("mazur_2_2_2")
    return step_input(case, case["weights"], case["biases"], 0)


def test_seed_000_published_figures(seed_000):
    """ERR-1, FWD-1, ACT-1, LOSS-1, BWD-3, UPD-1, CNV-2: seed 000's first step to its printed digits."""
    got = adapter.step(seed_000)
    assert f"{got['loss']:.9f}" == "0.298371109"
    assert f"{got['outs'][1][0, 0]:.8f}" == "0.75136507"
    assert f"{got['new_weights'][1][0, 0]:.8f}" == "0.35891648"
    assert f"{got['new_weights'][0][0, 0]:.9f}" == "0.149780716"
    assert np.array_equal(got["new_biases"][0], [0.35, 0.35])


@pytest.mark.parametrize("dtype,rtol", [("float32", 1e-6), ("float16", 4e-3), ("bfloat16", 3e-2)])
def test_seed_000_in_short_dtypes(seed_000, dtype, rtol):
    """ADP-1: the step computes in the requested dtype, loss and arrays of that dtype, close to float64."""
    got, want = adapter.step({**seed_000, "dtype": dtype}), adapter.step(seed_000)
    assert np.asarray(got["loss"]).dtype.name == dtype
    assert abs(float(got["loss"]) - want["loss"]) <= rtol * want["loss"]
    for key in ARRAYS:
        for g, w in zip(got[key], want[key], strict=True):
            assert g.dtype.name == dtype
            assert np.abs(g.astype(np.float64) - w).max() <= rtol * np.abs(w).max(), key


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_saturated_network_raises_no_flag(act, dtype):
    """ACT-1, ACT-2, BWD-2: nets of +-256 saturate the activations; derivatives and deltas underflow
    to subnormals or zero, which is no error: no warning, no flag, finite results in every dtype."""
    inp = {**make_network(act, "half_sse", "sum", {}, 2, 4), "dtype": dtype,
           "x": [["4", "-4"]] * 4, "layer_sizes": [2, 2, 2],
           "weights": [[["64", "-64"], ["-64", "64"]], [["64", "64"], ["-64", "-64"]]],
           "biases": [["0", "0"], ["0", "0"]], "y": [["0.5", "-0.5"]] * 4}
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        got = adapter.step(inp)
    for key in ARRAYS:
        assert all(np.isfinite(a.astype(np.float64)).all() for a in got[key]), key
