"""Activation functions of the NumPy implementation, one module each (spec chapter ACT).

Every module defines, on NumPy arrays of any supported dtype (the result has the dtype of ``net``):

* ``forward(net, params)``: out = f(net) (FWD-2);
* ``derivative(net, out, params)``: f'(net), a function of net (ACT-7);
* ``forward_and_derivative(net, params, out=None, deriv=None)``: both, sharing their intermediates,
  written into ``out`` and ``deriv`` when given (the network passes buffers it reuses);
* ``forward_and_derivative_into(net, params, out, deriv)``: the same, for a caller that already runs
  under ``np.errstate(under="ignore")`` (a step enters it once, not once per layer: entering it costs
  more than a small layer's activation);
* ``scalar_source(params)``: the same formulas on one scalar, as Python statements from ``net`` to
  ``out`` and ``deriv`` calling ``exp``, ``log1p`` or ``tanh``, which the straight-line kernel
  (``bpspec.impl.kernel``) writes out inline for every unit and runs on Python floats for float64,
  on NumPy float32 scalars for float32, each elementary function's double rounded once to float32
  (``bpspec.impl.dtypes.elementary``); ``formula.activation_formula`` compiles them alone.

``params`` is the case's ``activation_params`` dict. For every finite input in every dtype the
functions return finite numbers and raise no overflow or invalid-operation flag: each exponential is
of -|net| <= 0, so it lies in [0, 1]. It may underflow to a subnormal or to zero; that is the
correctly rounded value (gradual underflow), not an error, so the underflow flag is ignored inside
these functions and a caller's ``np.errstate(all="raise")`` is not tripped by it.
"""

from types import ModuleType

from bpspec.impl.activations import identity, leaky_relu, relu, sigmoid, softplus, tanh

ACTIVATIONS: dict[str, ModuleType] = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "identity": identity,
    "leaky_relu": leaky_relu,
    "softplus": softplus,
}
