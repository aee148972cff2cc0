"""Softplus (spec ACT-6).

forward:    out = log(1 + exp(net))
derivative: out' = sigmoid(net)

For net >> 0 the forward value is net + log(1 + exp(-net)), which never forms exp(net); mpmath's log1p
keeps the small tail exact for net << 0.
"""

from mpmath import mp

from bpspec.reference.activations import sigmoid


def forward(net, params):
    if net > 0:
        return net + mp.log1p(mp.exp(-net))
    return mp.log1p(mp.exp(net))


def derivative(net, out, params):
    return sigmoid.forward(net, params)
