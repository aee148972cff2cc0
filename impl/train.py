"""Sequential gradient descent: many steps of one network, each from the last one's parameters
(spec UPD-3, UPD-4).

``Trainer(inp)`` takes an adapter-contract dict whose x and y hold the whole data set; ``run(steps,
batches)`` performs the updates, update s on the rows ``batches[s % len(batches)]`` (all rows when
batches is None), and returns E_total of every step, each measured before that step's update
(UPD-4). Two engines compute the same steps:

* ``kernel`` (float64 and float32, small networks): the straight-line code of
  ``bpspec.impl.kernel``, compiled once per architecture and batch size, with the parameters held
  as scalars in the run kernel's local variables for all the steps of a ``run`` call;
* ``numpy`` (every dtype and size): the core of ``network.step`` in the layout it takes for the
  shape, on state kept in that layout, with the batches sliced once in advance: BLAS products
  (``bpspec.impl.gemm``) on two sets of buffers used in turn and kept from run to run, each
  step's ``gemm.program`` built once per run, or ``network.step_cases_last``.

``engine="auto"`` takes the kernel where it applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bpspec import contract
from bpspec.impl import gemm, kernel, network
from bpspec.impl.adapter import parse
from bpspec.impl.dtypes import SCALAR_DTYPES

ENGINES = ("auto", "kernel", "numpy")


class Trainer:
    """One network trained step after step; ``weights`` and ``biases`` are its current parameters."""

    def __init__(self, inp: Mapping[str, Any], engine: str = "auto") -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine {engine!r}; known: {', '.join(ENGINES)}")
        self.network, arrays = parse(inp)
        self.sizes = [int(n) for n in inp["layer_sizes"]]
        self.x, self.y, self.eta = arrays["x"], arrays["y"], arrays["learning_rate"]
        self.weights: list[np.ndarray] = arrays["weights"]
        self.biases: list[np.ndarray] = arrays["biases"]
        fits = (self.network.dtype in SCALAR_DTYPES
                and kernel.size(self.sizes, len(self.x)) <= kernel.MAX_TERMS)
        if engine == "kernel" and not fits:
            raise ValueError("the kernel engine needs float64 or float32 and a network small enough to "
                             "write out")
        self.engine = "kernel" if engine == "kernel" or engine == "auto" and fits else "numpy"
        self._buffers: dict[int, tuple[gemm.Buffers, gemm.Buffers]] = {}
        self._batches: dict[bytes, tuple[tuple, tuple, kernel.Kernel, kernel.Run]] = {}

    def run(self, steps: int, batches: Sequence[Sequence[int]] | None = None, start: int = 0) -> np.ndarray:
        """Perform updates ``start`` .. ``start + steps - 1`` of the schedule (update s on the rows
        ``batches[s % len(batches)]``); E_total of each, before its update, in the network's dtype."""
        rows = self.schedule(batches)
        rows = rows[start % len(rows):] + rows[:start % len(rows)]
        run = self._run_kernel if self.engine == "kernel" else self._run_numpy
        losses = run(steps, rows)
        return np.asarray(losses, dtype=self.network.np_dtype)

    def _run_kernel(self, steps: int, rows: list[np.ndarray]) -> list[Any]:
        """The steps in one call of the batch size's run kernel when the batches share one size (every
        schedule of full batches or of equal mini-batches), else one step kernel call per step."""
        data = [self._kernel_batch(r) for r in rows]
        p, (eta,) = kernel.flatten(self.weights, self.biases), kernel.scalars(self.eta)
        if len({len(r) for r in rows}) == 1:
            p, losses = data[0][3](p, [(xs, ys) for xs, ys, _, _ in data], eta, steps)
        else:
            losses = []
            record = losses.append
            for s in range(steps):
                xs, ys, step, _ = data[s % len(data)]
                p, E_total = step(p, xs, ys, eta)
                record(E_total)
        self.weights, self.biases = kernel.unflatten(p, self.sizes, self.network.np_dtype)
        return losses

    def _kernel_batch(self, r: np.ndarray) -> tuple[tuple, tuple, kernel.Kernel, kernel.Run]:
        """A batch's rows as the kernel's scalars, with its step and run kernels: made once per batch
        and kept, as a free run calls ``run`` once per recorded step."""
        key = r.tobytes()
        if key not in self._batches:
            self._batches[key] = (kernel.scalars(self.x[r]), kernel.scalars(self.y[r]),
                                  kernel.compile_step(self.network, self.sizes, len(r)),
                                  kernel.compile_run(self.network, self.sizes, len(r)))
        return self._batches[key]

    def _run_numpy(self, steps: int, rows: list[np.ndarray]) -> np.ndarray:
        """The layout ``network.step`` takes for these shapes: BLAS products when the largest batch
        is worth it, the case-last einsum path otherwise."""
        if gemm.worth_it(self.sizes, max(len(r) for r in rows)):
            return self._run_gemm(steps, rows)
        return self._run_cases_last(steps, rows)

    def _run_gemm(self, steps: int, rows: list[np.ndarray]) -> np.ndarray:
        """gemm's step on two sets of buffers per batch size, used in turn: step s reads the
        parameters step s - 1 wrote and writes the other set, so no step allocates. Which arrays a
        step reads and writes depends only on its batch and its parity, so each such step's
        ``gemm.program`` is built once, on first use, and called from then on; the initial
        parameters are copied to where step -1 would have written them."""
        net, dt = self.network, self.network.np_dtype
        data = [(np.ascontiguousarray(self.x[r]), np.ascontiguousarray(self.y[r])) for r in rows]
        sets = [self._gemm_buffers(len(x))[s % 2] for s, (x, _) in enumerate(data * 2)]
        n = len(data)
        start = sets[2 * n - 1]
        for to, source in zip(start.new_ws + start.new_bs, self.weights + self.biases, strict=True):
            np.copyto(to, source)
        eta = np.asarray(self.eta, dtype=dt)[()]
        programs: dict[int, list[gemm.Op]] = {}
        losses = np.empty(steps, dtype=dt)
        with np.errstate(under="ignore"):
            for s in range(steps):
                key = s % (2 * n)
                if key not in programs:
                    x, y = data[key % n]
                    before = sets[key - 1]
                    programs[key] = gemm.program(net, x, y, before.new_ws, before.new_bs, eta, sets[key])
                for op in programs[key]:
                    op()
                losses[s] = sets[key].loss
        last = sets[(steps - 1) % (2 * n)]
        self.weights = [w.copy() for w in last.new_ws]
        self.biases = [b.copy() for b in last.new_bs]
        return losses

    def _gemm_buffers(self, batch: int) -> tuple[gemm.Buffers, gemm.Buffers]:
        """The two sets of gemm buffers for ``batch``, made by the first run that needs them and kept
        for the next ones: fresh memory faults its pages in on first touch, which costs a short run
        (a few steps of a large network) more than its elementwise passes. No result lives in them:
        ``_run_gemm`` copies the final parameters out. Each set is one block of memory
        (``gemm.Buffers(block=True)``)."""
        if batch not in self._buffers:
            dt = self.network.np_dtype
            self._buffers[batch] = (gemm.Buffers(self.sizes, batch, dt, block=True),
                                    gemm.Buffers(self.sizes, batch, dt, block=True))
        return self._buffers[batch]

    def _run_cases_last(self, steps: int, rows: list[np.ndarray]) -> np.ndarray:
        """network.step_cases_last on state kept case-axis-last, one case as two copies like
        network.step does, so that both give the same numbers."""
        net, dt = self.network, self.network.np_dtype

        def last(a: np.ndarray) -> np.ndarray:
            return np.repeat(np.asarray(a, dtype=dt)[..., None], 2, axis=-1)

        data = [(last(self.x[r]), last(self.y[r])) for r in rows]
        weights, biases = [last(w) for w in self.weights], [last(b) for b in self.biases]
        eta = last(self.eta)
        losses = np.empty(steps, dtype=dt)
        for s in range(steps):
            x, y = data[s % len(data)]
            result = network.step_cases_last(net, x, y, weights, biases, eta)
            losses[s] = result.loss[0]
            weights, biases = result.new_weights, result.new_biases
        self.weights = [w[..., 0].copy() for w in weights]
        self.biases = [b[..., 0].copy() for b in biases]
        return losses

    def schedule(self, batches: Sequence[Sequence[int]] | None) -> list[np.ndarray]:
        """The rows of each batch, checked: all rows when ``batches`` is None (UPD-3)."""
        n = len(self.x)
        if batches is None:
            return [np.arange(n)]
        rows = [np.asarray(b) for b in batches]
        if not rows or any(r.ndim != 1 or not r.size or r.dtype.kind not in "iu"
                           or r.min() < 0 or r.max() >= n for r in rows):
            raise contract.ContractError(f"batches must be non-empty lists of row indices in 0..{n - 1}")
        return rows


def train(inp: Mapping[str, Any], steps: int, batches: Sequence[Sequence[int]] | None = None,
          engine: str = "auto") -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """``steps`` sequential updates from the input's parameters: (weights, biases, E_total per step)."""
    trainer = Trainer(inp, engine)
    losses = trainer.run(steps, batches)
    return trainer.weights, trainer.biases, losses
