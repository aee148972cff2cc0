"""W4: 100,000 independent 2-2-2 networks, forward + backward + update of all in one stacked call.

Seed 000's network, each of the 100,000 copies with its own perturbed numbers. Ours: one call of
``bpspec.impl.network.step`` on arrays with a leading case axis, against the same implementation
called once per network from a Python loop (timed on the first 2,000 networks, 500 in a quick run;
the ratio is per network). Peers: a jitted ``jax.vmap`` of the JAX step and ``torch.func.vmap`` of
the PyTorch one.
"""

from __future__ import annotations

from bpspec.benchmarks.core import Candidate
from bpspec.benchmarks.nets import W1_NET, seed_000_arrays, stacked
from bpspec.benchmarks.options import Options

TITLE = "100,000 independent 2-2-2 nets, one stacked step vs a Python loop over them"
GROUPS = {"W4": ("numpy", "numpy loop", "torch vmap", "jax vmap")}
NETS = 100_000
LOOP = 2_000
REPEATS = 7


def groups(dtype: str, options: Options) -> list[tuple[str, list[Candidate | None]]]:
    arrays = stacked(seed_000_arrays(), NETS)
    loop = LOOP // 4 if options.quick else LOOP
    many = {"units": NETS, "unit": "net"}
    return [("W4", [
        options.make("numpy", "ours.stacked", W1_NET, arrays, dtype, **many),
        options.make("numpy loop", "ours.loop", W1_NET, arrays, dtype, loop, units=loop, unit="net",
                     note=f"timed on {loop:,} networks"),
        options.make("torch vmap", "torch_steps.stacked", W1_NET, arrays, dtype, **many),
        options.make("jax vmap", "jax_steps.vmap", W1_NET, arrays, dtype, **many),
    ])]
