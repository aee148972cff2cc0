"""Suite "variants": the named non-conforming conventions, so published figures can be explained
(spec CNV-1, CNV-3, CNV-4).

``hidden_delta_weights = post_update`` backpropagates hidden deltas through the already updated
weights of the next layer: seed 000's summary figures arise that way, and it is the classic bug of
updating each layer as soon as its gradient is known. It only changes anything with a hidden layer,
so every such case has depth >= 2. ``mse_grad_factor = 1`` drops the 2/n of the mse gradient, as seed
004's code does; it only applies to the mse loss. A few cases combine both, and a few run 20 updates,
where a variant's error compounds. A conforming implementation is expected to fail these cases unless
it implements the variant: they exist to name the convention behind a discrepancy.
"""

from __future__ import annotations

from bpspec.catalogue.random_nets import random_case

SEED = 20240615
POST = {"hidden_delta_weights": "post_update"}
FACTOR_1 = {"mse_grad_factor": "1"}
BOTH = {**POST, **FACTOR_1}

#: (conventions, layer sizes, hidden activation, output activation, loss, reduction, batch, steps)
PLAN = [
    (POST, [2, 2, 2], "sigmoid", "sigmoid", "half_sse", "sum", 1, 1),
    (POST, [3, 4, 2], "tanh", "identity", "half_sse", "mean", 4, 1),
    (POST, [2, 5, 3], "relu", "identity", "sse", "sum", 4, 1),
    (POST, [4, 3, 1], "leaky_relu", "sigmoid", "half_sse", "mean", 1, 1),
    (POST, [2, 3, 3, 2], "softplus", "identity", "sse", "mean", 4, 1),
    (POST, [3, 3, 2, 2], "sigmoid", "tanh", "mse", "sum", 4, 1),
    (POST, [1, 4, 4, 4, 1], "tanh", "identity", "half_sse", "sum", 1, 1),
    (POST, [2, 6, 2], "identity", "sigmoid", "sse", "mean", 4, 1),
    (POST, [2, 2, 2], "sigmoid", "sigmoid", "half_sse", "sum", 1, 20),
    (POST, [3, 4, 2], "tanh", "sigmoid", "half_sse", "mean", 4, 20),
    (FACTOR_1, [3, 1], "identity", "identity", "mse", "mean", 4, 1),
    (FACTOR_1, [2, 3], "sigmoid", "sigmoid", "mse", "sum", 1, 1),
    (FACTOR_1, [3, 4, 2], "relu", "identity", "mse", "mean", 4, 1),
    (FACTOR_1, [2, 3, 4], "tanh", "tanh", "mse", "sum", 4, 1),
    (FACTOR_1, [4, 4, 3], "leaky_relu", "identity", "mse", "mean", 1, 1),
    (FACTOR_1, [2, 3, 2], "softplus", "sigmoid", "mse", "mean", 4, 1),
    (FACTOR_1, [3, 1], "identity", "identity", "mse", "mean", 4, 20),
    (FACTOR_1, [2, 3, 2], "sigmoid", "sigmoid", "mse", "mean", 4, 20),
    (BOTH, [2, 3, 2], "sigmoid", "sigmoid", "mse", "mean", 1, 1),
    (BOTH, [3, 4, 3, 2], "tanh", "identity", "mse", "sum", 4, 1),
    (BOTH, [2, 4, 2], "relu", "sigmoid", "mse", "mean", 4, 20),
]


def cases() -> list[dict]:
    out = []
    for i, (conv, sizes, hidden, output, loss, reduction, batch, steps) in enumerate(PLAN):
        tag = "_".join(f"{k}_{v}".replace("/", "_") for k, v in conv.items() if k != "bias_update")
        record = [0] if steps == 1 else [0, 1, steps // 2, steps - 1]
        out.append(random_case(f"variants_{tag}_{hidden}_{i:03d}", SEED + i, sizes, batch, hidden,
                               output, loss, reduction, suite="variants", conventions=conv,
                               steps=steps, record=record))
    return out
