"""Bugs in the activations and their derivatives (spec ACT-1 .. ACT-7, FWD-2, BWD-2, ERR-3)."""

from __future__ import annotations

import numpy as np

from tests.adapters.bugs.base import ACT, Backprop


class SigmoidOutFormOnNet(Backprop):
    """sigmoid' written for out, x(1 - x), handed net (ACT-7, ACT-1)."""

    def df(self, l, net, out):
        return net * (1 - net) if self.acts[l] == "sigmoid" else super().df(l, net, out)


class TanhOutFormOnNet(Backprop):
    """tanh' as 1 - net^2: the out form 1 - x^2 handed net (ACT-7, ACT-2)."""

    def df(self, l, net, out):
        return 1 - net * net if self.acts[l] == "tanh" else super().df(l, net, out)


class NetFormOnOut(Backprop):
    """The reverse: a derivative written for net, e.g. sigmoid(z)*sigmoid(-z), handed out (ACT-7)."""

    def df(self, l, net, out):
        return super().df(l, out, out)


class NoActivationDerivative(Backprop):
    """delta = dE/dout: the factor f'(net) left out (BWD-2)."""

    def df(self, l, net, out):
        return np.ones_like(net)


class ReluDiffOnNet(Backprop):
    """Seed 004's relu diff, positives set to 1 and the rest left as they are, handed net (ERR-3)."""

    def df(self, l, net, out):
        if self.acts[l] != "relu":
            return super().df(l, net, out)
        return np.where(net > 0, 1, net).astype(self.dt)


class ReluPrimeZeroIsOne(Backprop):
    """relu'(0) = 1, the right-hand slope at the kink (ACT-3)."""

    def df(self, l, net, out):
        return (net >= 0).astype(self.dt) if self.acts[l] == "relu" else super().df(l, net, out)


class LeakyReluPrimeZeroIsOne(Backprop):
    """leaky_relu'(0) = 1, where the spec says alpha (ACT-5)."""

    def df(self, l, net, out):
        if self.acts[l] != "leaky_relu":
            return super().df(l, net, out)
        return np.where(net >= 0, 1, self.alpha).astype(self.dt)


class DerivativeOfWrongLayer(Backprop):
    """delta[l] uses layer l-1's activation derivative; Python's index -1 wraps layer 1 round (NOT-1)."""

    def df(self, l, net, out):
        return np.asarray(ACT[self.acts[l - 1]][1](net, self.alpha), dtype=self.dt)


class ActivationOfWrongLayer(Backprop):
    """out[l] = f_{l-1}(net[l]), derivative likewise; layer 1 wraps round to the output's (FWD-2, NOT-1)."""

    def f(self, l, z):
        return ACT[self.acts[l - 1]][0](z, self.alpha).astype(self.dt)

    def df(self, l, net, out):
        return np.asarray(ACT[self.acts[l - 1]][1](net, self.alpha), dtype=self.dt)


class SoftplusOverflow(Backprop):
    """softplus as log(1 + exp(net)), which overflows to inf for large net (ACT-6)."""

    def f(self, l, z):
        if self.acts[l] != "softplus":
            return super().f(l, z)
        with np.errstate(over="ignore"):
            return np.log(1 + np.exp(z))
