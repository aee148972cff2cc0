"""Data flows one way: spec -> reference -> vectors -> impl -> conformance (DESIGN's layering).

The reference never imports the implementation; the implementation never imports the reference; the
checker knows an implementation only through the adapter contract (it resolves adapters by name) and
the reference only through the vectors it wrote; the peer adapters are implementations like any other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LAYERS = {
    "reference": ("bpspec.reference", ("impl", "conformance", "peers", "generate")),
    "impl": ("bpspec.impl", ("reference", "conformance", "peers", "generate", "catalogue")),
    "bpspec/conformance": ("bpspec.conformance", ("impl", "reference", "peers", "generate", "catalogue")),
    "bpspec/peers": ("bpspec.peers", ("impl", "reference", "conformance", "generate", "catalogue")),
}


def imported(path: Path) -> set[str]:
    """Every bpspec module ``path`` imports, ``from bpspec import x`` read as bpspec.x."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {f"bpspec.{a.name}" if node.module == "bpspec" else node.module for a in node.names}
    return {n for n in names if n.split(".")[0] == "bpspec"}


@pytest.mark.parametrize("folder", list(LAYERS))
def test_no_import_against_the_flow(root, folder):
    package, forbidden = LAYERS[folder]
    files = sorted((root / folder).rglob("*.py"))
    assert files
    wrong = [f"{path.relative_to(root)} imports {name}" for path in files for name in sorted(imported(path))
             if name.split(".")[1] in forbidden]
    assert not wrong, f"{package} must not import bpspec.{{{', '.join(forbidden)}}}: {wrong}"
