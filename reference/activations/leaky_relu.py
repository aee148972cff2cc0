"""Leaky ReLU with slope parameter ``activation_params["leaky_relu_slope"]`` (spec ACT-5).

forward:    out = net if net > 0 else slope * net
derivative: 1 if net > 0 else slope; at the kink the left derivative, slope (ACT-5), which reduces to
            relu'(0) = 0 when slope = 0.
The slope defaults to 0.01 (ACT-5), PyTorch's default.
"""

from mpmath import mp

from bpspec.reference.numbers import to_mpf

DEFAULT_SLOPE = "0.01"


def slope(params):
    return to_mpf(params.get("leaky_relu_slope", DEFAULT_SLOPE))


def forward(net, params):
    return +net if net > 0 else slope(params) * net


def derivative(net, out, params):
    return mp.one if net > 0 else slope(params)
