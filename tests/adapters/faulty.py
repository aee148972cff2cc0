"""Faulty adapters: each misbehaves on the cases whose loss is ``mse`` and is bpspec's NumPy adapter on
the others, so a run over the kinks suite shows the faulty cases failed with their reason while the
rest pass (ADP-3, CHK-3).

| adapter | on an mse case it |
|---|---|
| `raises` | raises RuntimeError |
| `exits` | raises SystemExit, a BaseException |
| `wrong_shape` | returns grad_weights transposed |
| `wrong_layers` | returns one gradient matrix for a two-layer network |
| `strings` | returns every number as a string |
| `complex_values` | returns complex arrays |
| `nan` | returns NaN everywhere |
| `python_objects` | returns the loss as an arbitrary Python object |
| `not_a_dict` | returns a list instead of a dict |
| `hangs` | never returns (blocks without using the CPU) |
| `prints` | prints to stdout, then returns the right answer |
| `hanging_batch` | has a `step_many` that never returns; its `step` is right |
"""

from __future__ import annotations

import sys
import threading

import numpy as np

from bpspec.impl.adapter import step as numpy_step

FOREVER = threading.Event()
"""Never set: waiting on it blocks a thread for good without burning CPU."""


def faulty(fault):
    """An adapter applying ``fault(inp, out)`` to the result of mse cases; correct elsewhere."""

    def step(inp: dict):
        out = numpy_step(inp)
        return fault(inp, out) if inp["loss"] == "mse" else out

    step.__doc__ = fault.__doc__
    return step


def _raise(inp, out):
    raise RuntimeError("the adapter's own bug")


def _exit(inp, out):
    raise SystemExit("adapter called sys.exit")


def _transposed(inp, out):
    return out | {"grad_weights": [np.asarray(g).T for g in out["grad_weights"]]}


def _one_layer(inp, out):
    return out | {"grad_weights": out["grad_weights"][:1]}


def _strings(inp, out):
    return {k: [np.asarray(v).astype(str) for v in out[k]] if isinstance(out[k], list) else str(out[k])
            for k in out}


def _complex(inp, out):
    return out | {"new_weights": [np.asarray(w) + 1j for w in out["new_weights"]]}


def _nan(inp, out):
    return {k: [np.full(np.shape(v), np.nan) for v in out[k]] if isinstance(out[k], list) else np.nan
            for k in out}


def _objects(inp, out):
    return out | {"loss": object()}


def _list(inp, out):
    return list(out.values())


def _hang(inp, out):
    FOREVER.wait()


def _print(inp, out):
    print("DEBUG: adapter chatter on stdout {not json")
    sys.stdout.write("more chatter\n")
    return out


raises = faulty(_raise)
exits = faulty(_exit)
wrong_shape = faulty(_transposed)
wrong_layers = faulty(_one_layer)
strings = faulty(_strings)
complex_values = faulty(_complex)
nan = faulty(_nan)
python_objects = faulty(_objects)
not_a_dict = faulty(_list)
hangs = faulty(_hang)
prints = faulty(_print)


class HangingBatch:
    """A correct ``step`` beside a batched ``step_many`` that never returns (ADP-5)."""

    def step(self, inp: dict) -> dict:
        return numpy_step(inp)

    def step_many(self, inputs: list[dict]) -> list[dict]:
        FOREVER.wait()
        return []


hanging_batch = HangingBatch()
