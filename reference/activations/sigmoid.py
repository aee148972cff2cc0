"""Logistic sigmoid (spec ACT-1).

forward:    out = 1 / (1 + exp(-net))
derivative: out' = sigmoid(net) * sigmoid(-net)

The textbook form out * (1 - out) is the same number, but ``1 - out`` cancels catastrophically once
net is large (at net = 100 it keeps about 6 of 50 digits), so the reference evaluates the symmetric
product, which has no cancellation anywhere.
"""

from mpmath import mp


def _sigmoid(net):
    if net >= 0:
        return 1 / (1 + mp.exp(-net))
    e = mp.exp(net)
    return e / (1 + e)


def forward(net, params):
    return _sigmoid(net)


def derivative(net, out, params):
    return _sigmoid(net) * _sigmoid(-net)
