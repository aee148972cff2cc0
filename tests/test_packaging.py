"""The distribution's layout: one top-level name, every code folder packaged (pyproject.toml)."""

from __future__ import annotations

import tomllib

MAPPED = {"bpspec": "bpspec", "reference": "bpspec.reference", "impl": "bpspec.impl",
          "vectors": "bpspec.vectors", "spec": "bpspec.spec", "catalogue": "bpspec.catalogue"}


def test_every_package_folder_is_listed(root):
    """Every folder holding an __init__.py is a listed subpackage of bpspec, and nothing else is."""
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = set()
    for top, package in MAPPED.items():
        for init in (root / top).rglob("__init__.py"):
            rel = init.parent.relative_to(root / top).parts
            found.add(".".join((package, *rel)))
    assert found == set(config["packages"])
    assert all(p.split(".")[0] == "bpspec" for p in config["packages"])


def test_readme_commands_are_what_ci_runs(root):
    """The README opens with the two commands; .ci/run runs the test command verbatim."""
    readme = (root / "README.md").read_text()
    blocks = [b.split("```", 1)[0].strip() for b in readme.split("```bash\n")[1:3]]
    assert len(blocks) == 2 and all("\n" not in b for b in blocks)
    assert blocks[1] in (root / ".ci" / "run").read_text()
    assert "pytest" in blocks[1]
