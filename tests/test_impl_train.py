"""Sequential training: seed 000's trajectory and its post-update variant, the float64 kernel against
the NumPy engine, and mini-batches (UPD-3, UPD-4, CNV-1, ERR-1, ERR-4)."""

from __future__ import annotations

import numpy as np
import pytest

from bpspec.cases import step_input
from bpspec.contract import ContractError
from bpspec.impl import adapter, gemm
from bpspec.impl.train import Trainer, train

STEPS = 10_000


@pytest.fixture(scope="module")
def seed_000(seed_case) -> dict:
    case = seed_case("mazur_2_2_2")
    return step_input(case, case["weights"], case["biases"], 0)


def run(inp: dict) -> tuple[np.ndarray, dict]:
    """E_total of steps 0 .. 9,999, and step 10,000 (the state after 10,000 updates) in full."""
    trainer = Trainer(inp)
    losses = trainer.run(STEPS)
    return losses, adapter.step({**inp, "weights": trainer.weights, "biases": trainer.biases})


def post_update(inp: dict) -> dict:
    return {**inp, "conventions": {**inp["conventions"], "hidden_delta_weights": "post_update"}}


def test_seed_000_conforming_trajectory(seed_000):
    """UPD-4, ERR-1, ERR-4: E_total after 1, 9,999 and 10,000 updates and the outputs then, as exact
    arithmetic gives them with the pre-update weights (SEEDS.md)."""
    losses, after = run(seed_000)
    assert f"{losses[1]:.10f}" == "0.2910277737"
    assert f"{losses[9999]:.7e}" == "3.5108548e-05"
    assert f"{after['loss']:.5e}" == "3.51019e-05"
    assert [f"{v:.8f}" for v in after["outs"][-1][0]] == ["0.01591362", "0.98406427"]


def test_seed_000_post_update_variant_gives_the_published_summary(seed_000):
    """CNV-1, ERR-1: the post_update variant reproduces the seed's summary figures 0.291027924 and
    0.000035085, and its outputs 0.015912196 and 0.984065734."""
    losses, after = run(post_update(seed_000))
    assert f"{losses[1]:.9f}" == "0.291027924"
    assert f"{after['loss']:.9f}" == "0.000035085"
    assert [f"{v:.9f}" for v in after["outs"][-1][0]] == ["0.015912196", "0.984065734"]


def test_numpy_engine_equals_repeated_adapter_steps(seed_000):
    """UPD-4: each update starts from the parameters the previous one returned."""
    inp = {**seed_000, "dtype": "float32"}
    weights, biases, losses = train(inp, 5, engine="numpy")
    for s in range(5):
        got = adapter.step(inp)
        assert losses[s] == got["loss"]
        inp = {**inp, "weights": got["new_weights"], "biases": got["new_biases"]}
    for w, v in zip(weights, inp["weights"], strict=True):
        np.testing.assert_array_equal(w, v)


@pytest.mark.parametrize("mini", [False, True], ids=["full", "mini"])
def test_kernel_equals_numpy_engine(network, mini):
    """UPD-3, UPD-4, CNV-1 .. CNV-3: the straight-line float64 kernel computes the NumPy engine's
    numbers, bit for bit where libm and NumPy share the elementary function (all but tanh)."""
    n = len(network["x"])
    batches = [[0, n - 1], [n // 2], list(range(n))] if mini else None
    inp = {**network, "conventions": {"hidden_delta_weights": "post_update", "bias_update": "true"}}
    fast, slow = Trainer(inp, "kernel"), Trainer(inp, "numpy")
    with np.errstate(over="ignore", invalid="ignore"):
        pair = fast.run(6, batches), slow.run(6, batches)
    pairs = [pair, *zip(fast.weights, slow.weights, strict=True), *zip(fast.biases, slow.biases, strict=True)]
    for a, b in pairs:
        if "tanh" in inp["activations"]:
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-300)
        else:
            np.testing.assert_array_equal(a, b)


def test_engine_choice(seed_000):
    """ADP-1: the kernel serves float64 and float32; the 16-bit dtypes take the NumPy engine."""
    assert Trainer(seed_000).engine == "kernel"
    assert Trainer({**seed_000, "dtype": "float32"}).engine == "kernel"
    assert Trainer({**seed_000, "dtype": "bfloat16"}).engine == "numpy"
    with pytest.raises(ValueError, match="float64 or float32"):
        Trainer({**seed_000, "dtype": "float16"}, engine="kernel")


@pytest.mark.parametrize("activations",
                         [["sigmoid", "sigmoid"], ["tanh", "softplus"], ["leaky_relu", "relu"]])
def test_float32_kernel_equals_numpy_engine(seed_000, activations):
    """ADP-1, UPD-4: the kernel on float32 scalars performs the NumPy engine's float32 operations:
    bit for bit without exp, log1p or tanh; with them within a few ulps over 1,000 updates (math's
    float64 result rounded once to float32 against NumPy's float32 routines)."""
    inp = {**seed_000, "dtype": "float32", "activations": activations,
           "activation_params": {"leaky_relu_slope": "0.125"}}
    fast, slow = Trainer(inp, "kernel"), Trainer(inp, "numpy")
    pairs = [(fast.run(1000), slow.run(1000)), *zip(fast.weights, slow.weights, strict=True)]
    for a, b in pairs:
        assert a.dtype == b.dtype == np.float32
        if "relu" in activations:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=2e-5)


@pytest.mark.parametrize("batches", [[], [[]], [[0, 5]], [[0.5]]])
def test_bad_batches(seed_000, batches):
    """UPD-3: batches list row indices of the data set."""
    with pytest.raises(ContractError):
        train(seed_000, 1, batches)


@pytest.fixture(scope="module")
def wide() -> dict:
    """A network on the BLAS path (``gemm.worth_it`` for 5 samples or more): 12-40-3, 10 samples."""
    rng = np.random.default_rng(11)
    sizes = [12, 40, 3]
    return {"layer_sizes": sizes, "activations": ["sigmoid", "tanh"], "activation_params": {},
            "loss": "mse", "reduction": "mean", "learning_rate": 0.25, "dtype": "float64",
            "conventions": {"hidden_delta_weights": "post_update", "bias_update": "true"},
            "x": rng.uniform(-1, 1, (10, 12)), "y": rng.uniform(0, 1, (10, 3)),
            "weights": [rng.normal(0, 0.5, (n_out, n_in))
                        for n_in, n_out in zip(sizes, sizes[1:], strict=False)],
            "biases": [rng.uniform(-0.1, 0.1, n_out) for n_out in sizes[1:]]}


def gemm_steps(inp: dict, steps: int, batches: list[list[int]]) -> tuple[list, list, list]:
    """``steps`` updates, each ``gemm.step`` on fresh buffers: (E_total of each, weights, biases)."""
    network, arrays = adapter.parse(inp)
    weights, biases, losses = arrays["weights"], arrays["biases"], []
    for s in range(steps):
        r = batches[s % len(batches)]
        x, y = arrays["x"][r], arrays["y"][r]
        b = gemm.step(network, x, y, weights, biases, arrays["learning_rate"][()],
                      gemm.Buffers(inp["layer_sizes"], len(r), network.np_dtype))
        losses.append(b.loss[()])
        weights, biases = b.new_ws, b.new_bs
    return losses, weights, biases


@pytest.mark.parametrize("batches", [None, [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]],
                                     [list(range(10)), [2, 5, 7], [1, 2, 3, 4, 5, 6]]],
                         ids=["full", "two-equal", "three-sizes"])
@pytest.mark.parametrize("dtype", ["float64", "bfloat16"])
def test_gemm_engine_replays_the_step(wide, batches, dtype):
    """UPD-3, UPD-4: the Trainer builds each step's gemm program once (per batch and parity) and
    calls it again and again; over 7 updates, taken as 4 and then 3 from update 4 on, it computes
    the bits of gemm.step called afresh each step, in float64 and in bfloat16 (products in float32,
    rounded once). Run for 0 updates, it returns the parameters it started from."""
    wide = {**wide, "dtype": dtype}
    trainer = Trainer(wide, "numpy")
    rows = batches or [list(range(10))]
    assert gemm.worth_it(wide["layer_sizes"], max(len(r) for r in rows))
    first = trainer.run(4, batches)
    losses = np.concatenate([first, trainer.run(3, batches, start=4)])
    want, weights, biases = gemm_steps(wide, 7, rows)
    assert losses.tobytes() == np.array(want, dtype=losses.dtype).tobytes()
    for got, exp in zip(trainer.weights + trainer.biases, weights + biases, strict=True):
        assert got.dtype == exp.dtype and got.tobytes() == exp.tobytes()
    before = [w.copy() for w in trainer.weights + trainer.biases]
    assert trainer.run(0, batches).size == 0
    for got, exp in zip(trainer.weights + trainer.biases, before, strict=True):
        assert got.tobytes() == exp.tobytes()
