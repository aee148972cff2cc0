"""W3: a 784-512-512-10 relu network, batch 256: steps per second, GFLOP/s, and the GEMM roofline.

A step is dominated by six matrix products, so what counts is how close each implementation gets to
its BLAS. A step is counted as 6 x batch x sum(in x out) flops (forward, backward and gradient
products; the issue's convention, which slightly overcounts: the input layer needs no backward
product), and set against the peak of the same BLAS measured in the same run: one 2048 x 2048 matrix
product per call (2 n^3 flops), NumPy's, torch's and XLA's, interleaved with the training steps.
"""

from __future__ import annotations

from bpspec.benchmarks.core import Candidate
from bpspec.benchmarks.nets import W3_NET
from bpspec.benchmarks.options import Options

TITLE = "784-512-512-10 relu net, batch 256: steps/s and GFLOP/s against the GEMM peak"
GROUPS = {"W3": ("numpy", "torch eager", "torch.compile", "jax jit loop", "numpy gemm", "torch gemm",
                  "jax gemm")}
STEPS = 5
GEMM = 2048
REPEATS = 7


def flops_per_step() -> int:
    """6 x batch x sum(in x out): the roofline's count of one training step."""
    return 6 * W3_NET.batch * W3_NET.macs


def groups(dtype: str, options: Options) -> list[tuple[str, list[Candidate | None]]]:
    steps = 1 if options.quick else STEPS
    args = (W3_NET, W3_NET.arrays(), dtype, steps)
    step = {"units": steps, "flops": flops_per_step()}
    gemm = {"unit": "matmul", "flops": 2 * GEMM**3, "compare": False}
    return [("W3", [
        options.make("numpy", "ours.trainer", *args, peak_of="numpy gemm", **step),
        options.make("torch eager", "torch_steps.eager", *args, peak_of="torch gemm", **step),
        options.make("torch.compile", "torch_steps.compiled", *args, peak_of="torch gemm", **step),
        options.make("jax jit loop", "jax_steps.jit_loop", *args, peak_of="jax gemm", **step),
        options.make("numpy gemm", "ours.gemm", dtype, GEMM, **gemm),
        options.make("torch gemm", "torch_steps.gemm", dtype, GEMM, **gemm),
        options.make("jax gemm", "jax_steps.gemm", dtype, GEMM, **gemm),
    ])]
