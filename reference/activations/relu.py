"""Rectified linear unit (spec ACT-3).

forward:    out = net if net > 0 else 0
derivative: 1 if net > 0 else 0; at the kink relu'(0) = 0 (ACT-3), as PyTorch, JAX and TensorFlow do.

The derivative is a function of ``net``. Seed 004 computes it from ``out`` instead, which gives the
same numbers only because relu's output is never negative (errata ERR-3).
"""

from mpmath import mp


def forward(net, params):
    return net if net > 0 else mp.zero


def derivative(net, out, params):
    return mp.one if net > 0 else mp.zero
