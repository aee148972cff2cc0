"""A compact, correct NumPy backprop under the adapter contract, one overridable method per rule.

Each classic bug of the catalogue (``tests/adapters/bugs/__init__.py``) is a subclass that overrides
one method, so a bug differs from this reference in one place only; ``tests/test_bug_catalogue.py``
checks that this class itself passes the vectors that reject each bug. It computes in float64 or
float32 (ADP-1), under the conforming conventions; anything else raises NotImplementedError (ADP-3).
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return np.exp(-np.logaddexp(0, -z))  # never exponentiates a positive number (ACT-1)


def sech2(z):
    with np.errstate(over="ignore"):
        return 1 / np.square(np.cosh(z))  # cosh overflow gives 1/inf = 0, the limit (ACT-2)


#: name -> (f(z, alpha), f'(z, alpha)), the derivative a function of net (ACT-7)
ACT = {
    "sigmoid": (lambda z, a: sigmoid(z), lambda z, a: sigmoid(z) * sigmoid(-z)),        # ACT-1
    "tanh": (lambda z, a: np.tanh(z), lambda z, a: sech2(z)),                             # ACT-2
    "relu": (lambda z, a: np.maximum(z, 0), lambda z, a: (z > 0) * np.ones_like(z)),     # ACT-3
    "identity": (lambda z, a: z, lambda z, a: np.ones_like(z)),                           # ACT-4
    "leaky_relu": (lambda z, a: np.where(z > 0, z, a * z), lambda z, a: np.where(z > 0, 1, a)),  # ACT-5
    "softplus": (lambda z, a: np.logaddexp(0, z), lambda z, a: sigmoid(z)),               # ACT-6
}

#: name -> (E_term(d, n), dE_term/dout(d, n)) with d = out - y, n = n_L (LOSS-1..LOSS-3)
LOSS = {
    "half_sse": (lambda d, n: d * d / 2, lambda d, n: d),
    "sse": (lambda d, n: d * d, lambda d, n: 2 * d),
    "mse": (lambda d, n: d * d / n, lambda d, n: 2 * d / n),
}


class Backprop:
    """One training step (ADP-1, ADP-2): forward, loss, backward, update, state kept on ``self``."""

    exact = False

    def step(self, inp: dict) -> dict:
        self.read(inp)
        self.forward()
        E = self.loss()
        self.backward()
        self.update()
        return {"loss": E, "grad_weights": self.gW, "grad_biases": self.gb, "new_weights": self.new_W,
                "new_biases": self.new_b, "nets": self.nets, "outs": self.outs, "deltas": self.deltas}

    def read(self, inp: dict) -> None:
        conv = inp.get("conventions") or {}
        self.dt = np.dtype(inp.get("dtype") or "float64")
        if (self.dt not in (np.float64, np.float32)
                or conv.get("hidden_delta_weights", "pre_update") != "pre_update"
                or conv.get("mse_grad_factor", "2/n") != "2/n"):
            raise NotImplementedError("float64/float32 and the conforming conventions only")
        cast = self.cast
        self.x, self.y = cast(inp["x"]), cast(inp["y"])
        self.W, self.b = [cast(w) for w in inp["weights"]], [cast(v) for v in inp["biases"]]
        self.eta = self.dt.type(float(inp["learning_rate"]))
        self.alpha = self.dt.type(float((inp.get("activation_params") or {}).get("leaky_relu_slope", 0.01)))
        self.acts, self.loss_name, self.reduction = inp["activations"], inp["loss"], inp["reduction"]
        self.frozen = conv.get("bias_update", "true") == "false"

    def cast(self, a) -> np.ndarray:
        return np.asarray(a, dtype=np.float64).astype(self.dt)

    def mm(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Every matrix product and sum over samples goes through here."""
        return a @ b

    def f(self, l: int, z: np.ndarray) -> np.ndarray:
        return ACT[self.acts[l]][0](z, self.alpha).astype(self.dt)                       # FWD-2

    def df(self, l: int, net: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.asarray(ACT[self.acts[l]][1](net, self.alpha), dtype=self.dt)          # ACT-7

    def run(self, a: np.ndarray, W: list, b: list, layers) -> tuple[list, list]:
        """nets and outs of ``layers`` from the activation ``a`` feeding the first of them."""
        nets, outs = [], []
        for l in layers:
            nets.append(self.mm(a, W[l].T) + b[l])                                        # FWD-1
            a = self.f(l, nets[-1])
            outs.append(a)
        return nets, outs

    def forward(self) -> None:
        self.nets, self.outs = self.run(self.x, self.W, self.b, range(len(self.W)))

    def r(self) -> np.floating:
        return self.dt.type(1 if self.reduction == "sum" else 1 / len(self.x))           # LOSS-4

    def loss(self) -> np.floating:
        d = self.outs[-1] - self.y
        return self.r() * LOSS[self.loss_name][0](d, self.y.shape[1]).sum()

    def dE_dout(self, out: np.ndarray) -> np.ndarray:
        return self.r() * LOSS[self.loss_name][1](out - self.y, self.y.shape[1])          # BWD-1

    def backward(self) -> None:
        L = len(self.W)
        self.deltas, self.gW, self.gb = [None] * L, [None] * L, [None] * L
        g = self.dE_dout(self.outs[-1])
        for l in reversed(range(L)):
            self.deltas[l] = g * self.df(l, self.nets[l], self.outs[l])                   # BWD-2
            a_prev = self.x if l == 0 else self.outs[l - 1]
            self.gW[l] = self.mm(self.deltas[l].T, a_prev)                                # GRD-1
            self.gb[l] = self.grad_b(self.deltas[l])                                      # GRD-2
            if l:
                g = self.upstream(l)                                                      # BWD-3

    def grad_b(self, delta: np.ndarray) -> np.ndarray:
        return self.mm(np.ones(len(delta), dtype=self.dt), delta)

    def upstream(self, l: int) -> np.ndarray:
        """dE_total/dout[l-1] from layer l's delta and its pre-update weights (BWD-3, CNV-1)."""
        return self.mm(self.deltas[l], self.W[l])

    def descend(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        return p - self.eta * g                                                           # UPD-1

    def update(self) -> None:
        self.new_W = [self.descend(w, g) for w, g in zip(self.W, self.gW, strict=True)]
        self.new_b = [v if self.frozen else self.descend(v, g)                            # UPD-2, CNV-2
                      for v, g in zip(self.b, self.gb, strict=True)]


class Run(Backprop):
    """A training loop's view of the contract, for bugs that need state: handed back exactly the
    parameters it returned last, it continues its run (``self.continuing``); any other parameters
    start a new one. The checker's free-running trajectories (TOL-5) are such runs."""

    last: tuple | None = None

    def step(self, inp: dict) -> dict:
        params = [*inp["weights"], *inp["biases"]]
        self.continuing = self.last is not None and len(params) == len(self.last) and all(
            np.shape(p) == np.shape(q) and np.array_equal(p, q)
            for p, q in zip(params, self.last, strict=True))
        out = super().step(inp)
        self.last = tuple(np.copy(p) for p in [*out["new_weights"], *out["new_biases"]])
        return out
