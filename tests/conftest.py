"""Shared fixtures: the repository's folders, deterministic random networks for the reference, and a
parsed-vector cache of the session's own (VEC-7)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bpspec import vectorcache
from bpspec.contract import ACTIVATION_NAMES, LOSS_NAMES, REDUCTIONS

ROOT = Path(__file__).resolve().parent.parent
COMBOS = [(a, loss, r) for a in ACTIVATION_NAMES for loss in LOSS_NAMES for r in REDUCTIONS]


@pytest.fixture(scope="session", autouse=True)
def vector_cache(tmp_path_factory):
    """The parsed-vector cache in a folder of the session, never the user's ~/.cache (VEC-7); the
    commands tests run in subprocesses inherit it."""
    folder = tmp_path_factory.mktemp("vector-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(vectorcache.ENV, str(folder))
        yield folder


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def seed_case():
    """A seed case definition by id, read from catalogue/seeds/."""

    def load(name: str) -> dict:
        return json.loads((ROOT / "catalogue" / "seeds" / f"{name}.json").read_text())

    return load


def random_network(index: int, activation: str, loss: str, reduction: str) -> dict:
    """A step input with decimal (non-dyadic) values in (-1, 1): depth 1-4 and batch 1 or 4 cycle
    with ``index``; hidden layers use ``activation``, the output layer too."""
    rng = random.Random(f"net-{index}")
    depth, batch = 1 + index % 4, 1 if index % 2 == 0 else 4
    sizes = [rng.randint(1, 4) for _ in range(depth + 1)]

    def value() -> str:
        return f"{rng.choice((-1, 1)) * rng.randint(1, 999) / 1000:.3f}"

    return {
        "layer_sizes": sizes,
        "activations": [activation] * depth,
        "activation_params": {"leaky_relu_slope": "0.125"},
        "loss": loss,
        "reduction": reduction,
        "learning_rate": "0.25",
        "x": [[value() for _ in range(sizes[0])] for _ in range(batch)],
        "y": [[value() for _ in range(sizes[-1])] for _ in range(batch)],
        "weights": [[[value() for _ in range(a)] for _ in range(b)]
                    for a, b in zip(sizes, sizes[1:], strict=False)],
        "biases": [[value() for _ in range(b)] for b in sizes[1:]],
        "conventions": {},
    }


@pytest.fixture(params=range(len(COMBOS)), ids=["-".join(c) for c in COMBOS])
def network(request) -> dict:
    """One random network per activation x loss x reduction (36 in all)."""
    return random_network(request.param, *COMBOS[request.param])
