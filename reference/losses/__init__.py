"""Losses of the reference, one module each (spec chapter LOSS).

Every module defines ``term(out, target, n_out)``, one sample's contribution of one output unit to
that sample's loss, and ``grad(out, target, n_out, conventions)``, its derivative with respect to
``out``. The batch reduction (``sum`` or ``mean`` over samples, LOSS-4) is applied by the network,
not here, so that the three modules stay one formula each.
"""

from types import ModuleType

from bpspec.reference.losses import half_sse, mse, sse

LOSSES: dict[str, ModuleType] = {"half_sse": half_sse, "sse": sse, "mse": mse}
