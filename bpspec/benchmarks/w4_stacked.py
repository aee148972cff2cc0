"""W4: 100,000 independent 2-2-2 networks, forward + backward + update of all in one stacked call.

Seed 000's network, each of the 100,000 copies with its own perturbed numbers. Ours: one call of
``bpspec.impl.network.step`` on arrays with a leading case axis, against the same implementation
called once per network from a Python loop (timed on the first 2,000 networks, 500 in a quick run;
the ratio is per network). Peers: a jitted ``jax.vmap`` of the JAX step and ``torch.func.vmap`` of
the PyTorch one.

Two more rows say where the time goes. ``numpy case-last`` is the same step by
``network.step_cases_last`` on the arrays already in the layout it computes in (converted before
timing; the same bits): the step without ``network.step``'s conversion of the cases-first arrays.
The notes give every peer's ratio to it too. ``jax vmap all`` returns every result ours returns
(E_total, nets, outs, deltas, gradients, new parameters), where ``jax vmap`` returns only the new
parameters and XLA never writes the rest out.
"""

from __future__ import annotations

from bpspec.benchmarks.core import Candidate
from bpspec.benchmarks.nets import W1_NET, seed_000_arrays, stacked
from bpspec.benchmarks.options import Options

TITLE = "100,000 independent 2-2-2 nets, one stacked step vs a Python loop over them"
GROUPS = {"W4": ("numpy", "numpy case-last", "numpy loop", "torch vmap", "jax vmap", "jax vmap all")}
NETS = 100_000
LOOP = 2_000
REPEATS = 7


def groups(dtype: str, options: Options) -> list[tuple[str, list[Candidate | None]]]:
    arrays = stacked(seed_000_arrays(), NETS)
    loop = LOOP // 4 if options.quick else LOOP
    many = {"units": NETS, "unit": "net"}
    return [("W4", [
        options.make("numpy", "ours.stacked", W1_NET, arrays, dtype, **many),
        options.make("numpy case-last", "ours.stacked_cases_last", W1_NET, arrays, dtype, baseline=True,
                     **many),
        options.make("numpy loop", "ours.loop", W1_NET, arrays, dtype, loop, units=loop, unit="net",
                     note=f"timed on {loop:,} networks"),
        options.make("torch vmap", "torch_steps.stacked", W1_NET, arrays, dtype, **many),
        options.make("jax vmap", "jax_steps.vmap", W1_NET, arrays, dtype, **many),
        options.make("jax vmap all", "jax_steps.vmap_all", W1_NET, arrays, dtype, **many),
    ])]
