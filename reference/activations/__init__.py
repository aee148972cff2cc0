"""Activation functions of the reference, one module each (spec chapter ACT).

Every module defines ``forward(net, params)`` and ``derivative(net, out, params)``; the derivative
receives both the pre-activation and the activation so each rule can use whichever is exact and
free of cancellation. ``params`` is the case's ``activation_params`` dict.
"""

from types import ModuleType

from bpspec.reference.activations import identity, leaky_relu, relu, sigmoid, softplus, tanh

ACTIVATIONS: dict[str, ModuleType] = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "identity": identity,
    "leaky_relu": leaky_relu,
    "softplus": softplus,
}
