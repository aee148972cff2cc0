"""Losses of the NumPy implementation, one module each (spec chapter LOSS).

Every module defines ``term(out, target, n_out)``, one sample's contribution of one output unit, and
``grad(out, target, n_out, conventions)``, its derivative with respect to ``out`` (BWD-1 before the
batch factor). Both are single formulas that work alike on NumPy arrays of any supported dtype
(Python numbers stay weak, so the dtype is kept) and on Python floats (the float64 kernel calls
them). ``term_and_grad(out, target, n_out, conventions, term_out, grad_out)`` writes both for
arrays into the arrays given, the same bits from one subtraction (a step's fused form). The batch
reduction, ``sum`` or ``mean`` over samples (LOSS-4), is the network's.
"""

from types import ModuleType

from bpspec.impl.losses import half_sse, mse, sse

LOSSES: dict[str, ModuleType] = {"half_sse": half_sse, "sse": sse, "mse": mse}
