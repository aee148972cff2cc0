"""The fast NumPy implementation of one backpropagation step (spec FWD, ACT, LOSS, BWD, GRD, UPD, CNV).

* ``bpspec.impl.adapter``: ``step(inp)`` and ``step_stacked(inp)`` under the adapter contract (ADP),
  and ``ADAPTER``, which ``bpspec check --impl numpy`` calls;
* ``bpspec.impl.network``: the step on arrays, for one network or a stack of C same-shaped ones;
* ``bpspec.impl.train``: sequential training, ``train(inp, steps, batches)`` and ``Trainer``;
* ``bpspec.impl.activations``, ``bpspec.impl.losses``: one module per function, as in the reference;
* ``bpspec.impl.dtypes``: float64, float32, float16, bfloat16 and the accumulation policy;
* ``bpspec.impl.kernel``: straight-line float64 code for small networks, used by ``train``;
* ``bpspec.impl.workspace``: the reusable memory blocks a step's arrays are cut from.

Data flows one way: nothing here imports ``bpspec.reference``.
"""

from bpspec.impl.adapter import ADAPTER, step, step_stacked
from bpspec.impl.network import Network, Step
from bpspec.impl.train import Trainer, train
from bpspec.impl.workspace import Workspace

__all__ = ["ADAPTER", "Network", "Step", "Trainer", "Workspace", "step", "step_stacked", "train"]
