"""The seed cases: hand-written case definitions in catalogue/seeds/, one JSON file each (spec CASE-1).

These are data transcribed from the seeds (000's 2-2-2 network in both conventions, 003's 1-1-1
shapes, 004's single neuron), not code; each file says which suite it belongs to ("seed", or
"variants" for a seed case under a non-conforming convention).
"""

from __future__ import annotations

from pathlib import Path

from bpspec.cases import load

SEED_DIR = Path(__file__).parent / "seeds"


def cases() -> list[dict]:
    """Every seed case file, validated, in file-name order."""
    return [load(path) for path in sorted(SEED_DIR.glob("*.json"))]
