"""Bugs in the backward recursion and the gradients (spec BWD-1 .. BWD-3, GRD-1, GRD-2, CNV-1, LOSS-3,
LOSS-4)."""

from __future__ import annotations

from tests.adapters.bugs.base import Backprop


class PostUpdate(Backprop):
    """Hidden deltas through the already updated W[l+1], seed 000's first code (CNV-1, BWD-3)."""

    def upstream(self, l):
        return self.mm(self.deltas[l], self.W[l] - self.eta * self.gW[l])


class UpdateBeforeBackprop(Backprop):
    """Layers l..L updated in place, and the forward pass re-run through them, before layer l-1's delta:
    each layer's gradient is taken at a different point (BWD-3, UPD-1)."""

    def upstream(self, l):
        L = len(self.W)
        W = self.W[:l] + [self.descend(w, g) for w, g in zip(self.W[l:], self.gW[l:], strict=True)]
        b = self.b[:l] + [v if self.frozen else self.descend(v, g)
                          for v, g in zip(self.b[l:], self.gb[l:], strict=True)]
        nets, outs = self.run(self.outs[l - 1], W, b, range(l, L))
        g = self.dE_dout(outs[-1])
        for k in reversed(range(l, L)):
            g = self.mm(g * self.df(k, nets[k - l], outs[k - l]), W[k])
        return g


class TransposedWeights(Backprop):
    """The recursion multiplies by W[l+1]^T: runs only where W[l+1] is square (BWD-3, NOT-1)."""

    def upstream(self, l):
        return self.mm(self.deltas[l], self.W[l].T)


class BiasGradFirstSample(Backprop):
    """grad_b from sample 0 only, not summed over the batch (GRD-2)."""

    def grad_b(self, delta):
        return delta[0].copy()


class BiasGradMean(Backprop):
    """grad_b averaged over the batch instead of summed (GRD-2)."""

    def grad_b(self, delta):
        return delta.mean(axis=0)


class MeanLossSumGradient(Backprop):
    """The loss averaged over the batch, its gradient summed: 1/B missing from dE/dout (LOSS-4, BWD-1)."""

    def dE_dout(self, out):
        return super().dE_dout(out) / self.r()


class MseWithout2(Backprop):
    """mse's gradient as (o - t)/n, without its factor 2 (LOSS-3, CNV-3)."""

    def dE_dout(self, out):
        g = super().dE_dout(out)
        return g / 2 if self.loss_name == "mse" else g
