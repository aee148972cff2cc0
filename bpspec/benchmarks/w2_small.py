"""W2: a 64-128-10 network (sigmoid hidden layer, relu output), batch 32, mse: training steps per second.

Small enough that a step is a few dozen array operations of a few thousand elements each, so the
fixed cost per operation matters as much as the arithmetic. Peers: PyTorch eager,
``torch.compile`` and a jitted JAX step, each called from a Python loop.
"""

from __future__ import annotations

from bpspec.benchmarks.core import Candidate
from bpspec.benchmarks.nets import W2_NET
from bpspec.benchmarks.options import Options

TITLE = "64-128-10 sigmoid/relu net, batch 32, mse: training steps per second"
GROUPS = {"W2": ("numpy", "torch eager", "torch.compile", "jax jit loop")}
STEPS = 500
REPEATS = 7


def groups(dtype: str, options: Options) -> list[tuple[str, list[Candidate | None]]]:
    steps = STEPS // 10 if options.quick else STEPS
    args = (W2_NET, W2_NET.arrays(), dtype, steps)
    return [("W2", [
        options.make("numpy", "ours.trainer", *args, units=steps),
        options.make("torch eager", "torch_steps.eager", *args, units=steps),
        options.make("torch.compile", "torch_steps.compiled", *args, units=steps),
        options.make("jax jit loop", "jax_steps.jit_loop", *args, units=steps),
    ])]
