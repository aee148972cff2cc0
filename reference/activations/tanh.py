"""Hyperbolic tangent (spec ACT-2).

forward:    out = tanh(net)
derivative: out' = sech(net)^2

1 - out^2 is the textbook form; sech^2 is the same value without the cancellation near |net| >> 1.
"""

from mpmath import mp


def forward(net, params):
    return mp.tanh(net)


def derivative(net, out, params):
    return mp.sech(net) ** 2
