"""The NumPy implementation behind the adapter contract (spec ADP-1, ADP-2, ADP-3, ADP-4).

``step(inp)`` takes one step-input dict and returns one result dict; ``step_stacked(inp)`` takes the
same keys with a leading case axis on every array (x (C, B, n_in), weights[l] (C, out, in), ...; the
learning rate a scalar or (C,)) and returns every result with that axis, loss (C,). ``ADAPTER`` is
what ``bpspec check --impl numpy`` calls: its ``step_many`` stacks inputs of one shape (ADP-5), its
``trajectory`` runs a free-running case on the sequential engine of ``bpspec.impl.train`` (ADP-9).

Numbers may be nested lists, NumPy arrays or decimal strings. They are read as float64 first
(``float()`` rounds a decimal string once) and then cast to the dtype; the numbers of generated
cases are exact in every dtype, so for them nothing is rounded (CASE-2). An ndarray already of the
dtype is taken as it is: every dtype here is exact in float64, so the round trip would change no bit.
An input that is not finite in float64, or that overflows the dtype, is a ContractError; so is every
other broken input (ADP-4). A dtype this implementation does not compute in raises
NotImplementedError (ADP-3).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from bpspec import contract
from bpspec.impl import network

_OPTIONAL = ("activation_params", "conventions", "dtype")
_FLOAT64 = np.dtype(np.float64)
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
    arrays: list[np.ndarray] = []
    labels: list[tuple[str, int | None]] = []
    try:
        for key in ("x", "y"):
            arrays.append(_array(inp[key], dt, key))
            labels.append((key, None))
        for key in ("weights", "biases"):
            for i, value in enumerate(_layers(inp, key)):
                arrays.append(_array(value, dt, key, i))
                labels.append((key, i))
        arrays.append(_array(inp["learning_rate"], dt, "learning_rate"))
        labels.append(("learning_rate", None))
    except Exception:
        if (name := _first_not_finite(arrays, labels)) is not None:
            raise contract.ContractError(f"{name} holds a value that is not a finite number") from None
        raise
    if (name := _first_not_finite(arrays, labels)) is not None:
        raise contract.ContractError(f"{name} holds a value that is not a finite number")
    if arrays[-1].shape not in ((), (n_cases,)):
        raise contract.ContractError(f"learning_rate has shape {arrays[-1].shape}; "
                                     f"expected a scalar{' or (C,)' if stacked else ''}")
    if dt != _FLOAT64:
        arrays = _cast(arrays, labels, dt)
    n_layers = (len(arrays) - 3) // 2
    x, y, weights, biases = arrays[0], arrays[1], arrays[2:2 + n_layers], arrays[2 + n_layers:-1]
    return net, {"x": x, "y": y, "weights": weights, "biases": biases, "learning_rate": arrays[-1]}


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
        groups: dict[Hashable, list[int]] = {}
        parsed = [parse(inp) for inp in inputs]
        for i, (net, arrays) in enumerate(parsed):
            groups.setdefault(_stack_key(net, arrays), []).append(i)
        results: list[dict[str, Any]] = [{} for _ in inputs]
        for rows in groups.values():
            if len(rows) == 1:
                net, arrays = parsed[rows[0]]
                results[rows[0]] = _result(network.step(net, **arrays))
                continue
            arrays = {key: np.array([parsed[i][1][key] for i in rows])
                      for key in ("x", "y", "learning_rate")}
            for key in ("weights", "biases"):
                arrays[key] = [np.array(layer)
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


def _stack_key(net: network.Network, arrays: Mapping[str, Any]) -> Hashable:
    """What parsed inputs share when ``step_many`` stacks them: the network's settings and the
    shapes of x and the weights. A tuple of them, or its repr where a setting is not hashable (a
    tuple is cheaper to build than the network's repr, by some 10 us an input)."""
    shapes = (arrays["x"].shape, *(w.shape for w in arrays["weights"]))
    key = (net.activations, net.loss, net.reduction, net.dtype, tuple(net.conventions.values()),
           repr(net.activation_params), shapes)
    try:
        hash(key)
    except TypeError:
        return repr((net, shapes))
    return key


def _result(r: network.Step) -> dict[str, Any]:
    return {"loss": r.loss, **{k: getattr(r, k) for k in _RESULTS}}


def _layers(inp: Mapping[str, Any], key: str) -> list[Any]:
    value = inp[key]
    if isinstance(value, np.ndarray) and value.dtype != object:
        return list(value)
    if not isinstance(value, (list, tuple)):
        raise contract.ContractError(f"{key} must be a list with one array per layer")
    return list(value)


def _array(value: Any, dt: np.dtype, key: str, index: int | None = None) -> np.ndarray:
    """``value`` as a float64 array, or as it is when it is already an ndarray of the dtype ``dt``
    (every dtype here is exact in float64, so the round trip through float64 would change no bit).
    Finiteness is tested by the caller, on all the arrays of an input at once (``_first_not_finite``)."""
    if type(value) is np.ndarray and value.dtype == dt:
        return value
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as err:
        raise contract.ContractError(f"{_name(key, index)} is not an array of numbers ({err})") from None


def _name(key: str, index: int | None) -> str:
    """How error messages name an array of a step input: ``x``, ``weights[1]``, ... (formatted only
    for a message)."""
    return key if index is None else f"{key}[{index}]"


#: arrays of at most this many values in all are tested for finiteness as one (``_all_finite``)
_JOINT = 4096


def _all_finite(arrays: Sequence[np.ndarray]) -> bool:
    """Whether every value of every array is finite. The arrays of a small input are joined and
    tested in one pass: a NumPy call costs more than the test of a step input's few numbers, and
    ``np.concatenate(axis=None)`` flattens and joins them all in one call. (Joining promotes to
    float64 where the dtypes differ, which is exact for every dtype here.)"""
    if len(arrays) > 1 and sum([a.size for a in arrays]) <= _JOINT:
        arrays = (np.concatenate(arrays, axis=None),)
    return all(np.count_nonzero(np.isfinite(a)) == a.size for a in arrays)


def _first_not_finite(arrays: Sequence[np.ndarray], labels: Sequence[tuple[str, int | None]]
                      ) -> str | None:
    """The name of the first array (in input order) that holds a value that is not finite; None
    when every value is finite."""
    if _all_finite(arrays):
        return None
    for a, (key, index) in zip(arrays, labels, strict=True):
        if not _all_finite((a,)):
            return _name(key, index)
    return None


def _cast(arrays: list[np.ndarray], labels: Sequence[tuple[str, int | None]], dt: np.dtype
          ) -> list[np.ndarray]:
    """The arrays, finite in float64, in the dtype; ContractError naming the first that overflows
    there. Overflow and underflow are ignored while casting: the finiteness test decides. Only the
    arrays cast are tested: one already of the dtype was tested as it is."""
    cast = [k for k, a in enumerate(arrays) if a.dtype != dt]
    if not cast:
        return arrays
    arrays = list(arrays)
    with np.errstate(over="ignore", under="ignore"):
        for k in cast:
            arrays[k] = arrays[k].astype(dt)
    name = _first_not_finite([arrays[k] for k in cast], [labels[k] for k in cast])
    if name is not None:
        raise contract.ContractError(f"{name} holds a value beyond the range of {dt.name}")
    return arrays


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
