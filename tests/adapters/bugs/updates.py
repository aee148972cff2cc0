"""Bugs in the update and across steps (spec UPD-1 .. UPD-4, CNV-2)."""

from __future__ import annotations

from tests.adapters.bugs.base import Backprop, Run


class LearningRateSign(Backprop):
    """W + eta * grad: gradient ascent (UPD-1)."""

    def descend(self, p, g):
        return p + self.eta * g


class FrozenBiasUpdated(Backprop):
    """Biases updated although the case freezes them, bias_update = false (CNV-2, UPD-2)."""

    def update(self):
        self.frozen = False
        super().update()


class GradientsNotZeroed(Run):
    """Gradient buffers never zeroed between the steps of a run: each step adds to the last (UPD-4)."""

    def backward(self):
        super().backward()
        if self.continuing:
            self.gW = [a + g for a, g in zip(self.acc_W, self.gW, strict=True)]
            self.gb = [a + g for a, g in zip(self.acc_b, self.gb, strict=True)]
        self.acc_W, self.acc_b = self.gW, self.gb


class StaleMinibatch(Run):
    """The data loader advanced after the update: update s trains on update s-1's batch (UPD-3)."""

    def read(self, inp):
        super().read(inp)
        batch = self.x, self.y
        if self.continuing and self.batch[0].shape == self.x.shape:
            self.x, self.y = self.batch
        self.batch = batch
