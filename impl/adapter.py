"""The NumPy implementation behind the adapter contract (spec ADP-1, ADP-2, ADP-3, ADP-4).

``step(inp)`` takes one step-input dict and returns one result dict; ``step_stacked(inp)`` takes the
same keys with a leading case axis on every array (x (C, B, n_in), weights[l] (C, out, in), ...; the
learning rate a scalar or (C,)) and returns every result with that axis, loss (C,). ``ADAPTER`` is
what ``bpspec check --impl numpy`` calls: its ``step_many`` stacks inputs of one shape (ADP-5), its
``trajectory`` runs a free-running case on the sequential engine of ``bpspec.impl.train`` (ADP-9).

Numbers may be nested lists, NumPy arrays or decimal strings. They are read as float64 first
(``float()`` rounds a decimal string once) and then cast to the dtype; the numbers of generated
cases are exact in every dtype, so for them nothing is rounded (CASE-2). An input that is not
finite in float64, or that overflows the dtype, is a ContractError; so is every other broken input
(ADP-4). A dtype this implementation does not compute in raises NotImplementedError (ADP-3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bpspec import contract
from bpspec.impl import network

_OPTIONAL = ("activation_params", "conventions", "dtype")
_RESULTS = ("grad_weights", "grad_biases", "new_weights", "new_biases", "nets", "outs", "deltas")


def parse(inp: Mapping[str, Any], stacked: bool = False) -> tuple[network.Network, dict[str, Any]]:
    """Validate a step input (ADP-4) and convert it: the Network and the arrays in its dtype."""
    if not isinstance(inp, Mapping):
        raise contract.ContractError("a step input must be a dict")
    missing = [k for k in contract.INPUT_KEYS if k not in inp and k not in _OPTIONAL]
    if missing:
        raise contract.ContractError(f"step input lacks {', '.join(missing)}")
    if stacked:
        n_cases = _check_stack(inp)
    else:
        contract.check_shapes(inp)
        n_cases = None
    if not isinstance(inp.get("activation_params") or {}, Mapping):
        raise contract.ContractError("activation_params must be a dict")
    net = network.Network(inp["activations"], inp["loss"], inp["reduction"],
                          inp.get("activation_params") or {}, inp.get("conventions"),
                          str(inp.get("dtype") or "float64"))
    dt = net.np_dtype
    raw = {
        "x": _float64(inp["x"], "x"),
        "y": _float64(inp["y"], "y"),
        "weights": [_float64(w, f"weights[{i}]") for i, w in enumerate(_layers(inp, "weights"))],
        "biases": [_float64(b, f"biases[{i}]") for i, b in enumerate(_layers(inp, "biases"))],
        "learning_rate": _float64(inp["learning_rate"], "learning_rate"),
    }
    if raw["learning_rate"].shape not in ((), (n_cases,)):
        raise contract.ContractError(f"learning_rate has shape {raw['learning_rate'].shape}; "
                                     f"expected a scalar{' or (C,)' if stacked else ''}")
    with np.errstate(over="ignore", under="ignore"):
        arrays = {k: [_cast(a, dt, f"{k}[{i}]") for i, a in enumerate(v)] if isinstance(v, list)
                  else _cast(v, dt, k) for k, v in raw.items()}
    return net, arrays


def step(inp: Mapping[str, Any]) -> dict[str, Any]:
    """One step of one network under the adapter contract (ADP-1, ADP-2)."""
    net, arrays = parse(inp)
    return _result(network.step(net, **arrays))


def step_stacked(inp: Mapping[str, Any]) -> dict[str, Any]:
    """One step of C same-shaped networks: the contract's keys, every array with a case axis first."""
    net, arrays = parse(inp, stacked=True)
    return _result(network.step(net, **arrays))


class NumpyAdapter:
    """``bpspec check --impl numpy``: ``step`` for one input, ``step_many`` for a list of them,
    ``trajectory`` for a free run; ``engine`` is the Trainer engine of the updates between recorded
    steps."""

    exact = False
    engine = "auto"

    def step(self, inp: Mapping[str, Any]) -> dict[str, Any]:
        return step(inp)

    def step_many(self, inputs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The results of many step inputs, those of one shape and setting computed as one stack
        (an input alike to no other is stepped on its own: stacking one case only adds copies). Each
        input is validated and converted once; a stack is made of the converted arrays."""
        groups: dict[str, list[int]] = {}
        parsed = [parse(inp) for inp in inputs]
        for i, (net, arrays) in enumerate(parsed):
            key = repr((net, arrays["x"].shape, [w.shape for w in arrays["weights"]]))
            groups.setdefault(key, []).append(i)
        results: list[dict[str, Any]] = [{} for _ in inputs]
        for rows in groups.values():
            if len(rows) == 1:
                net, arrays = parsed[rows[0]]
                results[rows[0]] = _result(network.step(net, **arrays))
                continue
            arrays = {key: np.stack([parsed[i][1][key] for i in rows])
                      for key in ("x", "y", "learning_rate")}
            for key in ("weights", "biases"):
                arrays[key] = [np.stack(layer)
                               for layer in zip(*(parsed[i][1][key] for i in rows), strict=True)]
            stacked = _result(network.step(parsed[rows[0]][0], **arrays))
            for c, i in enumerate(rows):
                results[i] = {"loss": stacked["loss"][c],
                              **{k: [a[c] for a in stacked[k]] for k in _RESULTS}}
        return results

    def trajectory(self, inp: Mapping[str, Any], batches: Sequence[Sequence[int]] | None,
                   record: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The recorded steps of a free run (ADP-9): the Trainer performs the updates between them, and
        each recorded step is computed in full by ``network.step``, as ``step`` computes it, from the
        parameters it starts from (returned as ``weights`` and ``biases``); the run goes on from its
        new parameters. With the numpy engine the numbers are those of chained ``step`` calls, bit for
        bit; the kernel engine's may differ where libm and NumPy round exp, log1p or tanh apart."""
        from bpspec.impl.train import Trainer

        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in record) \
                or list(record) != sorted(set(record)) or min(record, default=0) < 0:
            raise contract.ContractError("record must list step numbers 0, 1, ... in increasing order")
        trainer, results, done = Trainer(inp, self.engine), {}, 0
        rows = trainer.schedule(batches)
        for s in record:
            trainer.run(s - done, rows, start=done)
            r = rows[s % len(rows)]
            full = network.step(trainer.network, trainer.x[r], trainer.y[r], trainer.weights, trainer.biases,
                                trainer.eta)
            results[s] = {**_result(full), "weights": trainer.weights, "biases": trainer.biases}
            trainer.weights, trainer.biases, done = full.new_weights, full.new_biases, s + 1
        return results


ADAPTER = NumpyAdapter()


def _result(r: network.Step) -> dict[str, Any]:
    return {"loss": r.loss, **{k: getattr(r, k) for k in _RESULTS}}


def _layers(inp: Mapping[str, Any], key: str) -> list[Any]:
    value = inp[key]
    if isinstance(value, np.ndarray) and value.dtype != object:
        return list(value)
    if not isinstance(value, (list, tuple)):
        raise contract.ContractError(f"{key} must be a list with one array per layer")
    return list(value)


def _float64(value: Any, name: str) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as err:
        raise contract.ContractError(f"{name} is not an array of numbers ({err})") from None
    if not _all_finite(a):
        raise contract.ContractError(f"{name} holds a value that is not a finite number")
    return a


def _all_finite(a: np.ndarray) -> bool:
    """Whether every value of ``a`` is finite: one reduction without ``ndarray.all``'s Python
    wrapper, which costs more than the test on the small arrays of a step input."""
    return bool(np.logical_and.reduce(np.isfinite(a), axis=None))


def _cast(a: np.ndarray, dt: np.dtype, name: str) -> np.ndarray:
    """``a``, finite in float64, in the dtype; ContractError if it overflows there. (The caller
    ignores overflow and underflow, once for all the arrays of an input.)"""
    if a.dtype == dt:
        return a
    out = a.astype(dt)
    if not _all_finite(out):
        raise contract.ContractError(f"{name} holds a value beyond the range of {dt.name}")
    return out


def _check_stack(inp: Mapping[str, Any]) -> int:
    """The case count C of a stacked input, its first case checked like an unstacked input (ADP-4)."""
    contract.check_architecture(inp["layer_sizes"], inp["activations"], inp["loss"], inp["reduction"])
    weights, biases = _layers(inp, "weights"), _layers(inp, "biases")
    x_shape = contract.shape_of(inp["x"])
    if len(x_shape) != 3 or x_shape[0] < 1:
        raise contract.ContractError(f"x has shape {x_shape}; expected (cases, batch, n_in)")
    n_cases = x_shape[0]
    named = [("y", inp["y"]), *((f"weights[{i}]", w) for i, w in enumerate(weights)),
             *((f"biases[{i}]", b) for i, b in enumerate(biases))]
    for name, value in named:
        if contract.shape_of(value)[:1] != (n_cases,):
            raise contract.ContractError(f"{name} needs the case axis first, of length {n_cases}")
    contract.check_shapes({**inp, "x": inp["x"][0], "y": inp["y"][0],
                           "weights": [w[0] for w in weights], "biases": [b[0] for b in biases]})
    return n_cases
