"""The spec's requirement IDs and their citations (every ID cited; every citation defined)."""

from __future__ import annotations

import json
import re

import pytest

DEFINED = re.compile(r"\*\*([A-Z]{2,5}-[0-9]+)\*\*")
CITED = re.compile(r"\b([A-Z]{2,5})-([0-9]+)\b")


@pytest.fixture(scope="module")
def defined(root) -> dict[str, str]:
    ids: dict[str, str] = {}
    for path in sorted((root / "spec").glob("*.md")):
        for match in DEFINED.finditer(path.read_text(encoding="utf-8")):
            assert match.group(1) not in ids, f"{match.group(1)} defined twice"
            ids[match.group(1)] = path.name
    return ids


@pytest.fixture(scope="module")
def cited(root, defined) -> dict[str, set[str]]:
    """ID -> test files citing it; only tokens with a prefix the spec uses count as citations."""
    prefixes = {i.split("-")[0] for i in defined}
    found: dict[str, set[str]] = {}
    for path in sorted((root / "tests").rglob("*.py")):
        for prefix, number in CITED.findall(path.read_text(encoding="utf-8")):
            if prefix in prefixes:
                found.setdefault(f"{prefix}-{number}", set()).add(path.name)
    return found


def test_spec_defines_ids(defined):
    assert len(defined) >= 40


def test_every_cited_id_exists(cited, defined):
    """A test citing an ID the spec does not define fails here."""
    assert sorted(set(cited) - set(defined)) == []


def test_every_id_is_cited(cited, defined):
    """Every requirement is checked by at least one test."""
    assert sorted(set(defined) - set(cited)) == []


def test_case_spec_ids_exist(root, defined):
    """Case definitions cite only defined IDs (CASE-1)."""
    for path in sorted((root / "catalogue" / "seeds").glob("*.json")):
        for spec_id in json.loads(path.read_text())["spec_ids"]:
            assert spec_id in defined, (path.name, spec_id)
