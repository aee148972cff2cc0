"""The parsed-vector cache: the same suite with or without it, whatever state its folder is in (VEC-7).

Every test works on a copy of the shipped ``seed`` suite (small, and with seed aliases, NOT-3) in a
folder of its own, with ``BPSPEC_CACHE_DIR`` pointing at a cache folder of its own.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from bpspec import vectorcache, vectorfile, vectorset
from bpspec.conformance.index import annotate, chain_rank, systematic_names
from bpspec.errors import InputError
from bpspec.names import display, parse

SUITE = "seed"


@pytest.fixture
def vectors(tmp_path) -> Path:
    """A vector folder holding only the seed suite, copied from the shipped set."""
    folder = tmp_path / "vectors"
    folder.mkdir()
    shipped = vectorset.default_dir()
    for name in (f"{SUITE}.csv", f"{SUITE}.cases.json"):
        shutil.copyfile(shipped / name, folder / name)
    _write_manifest(folder)
    return folder


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(vectorcache.ENV, str(folder))
    return folder


@pytest.fixture
def uncached(vectors, monkeypatch) -> tuple[vectorset.Suite, vectorset.Suite]:
    """The suite parsed without the cache: plain, and annotated by ``index.annotate``."""
    with monkeypatch.context() as patch:
        patch.setenv(vectorcache.ENV, "off")
        return vectorset.load(SUITE, vectors), vectorset.load(SUITE, vectors, annotate=annotate)


def _write_manifest(folder: Path) -> None:
    files = {}
    for name in (f"{SUITE}.csv", f"{SUITE}.cases.json"):
        content = (folder / name).read_bytes()
        files[name] = {"sha256": vectorset.sha256(content), "bytes": len(content)}
    manifest = {"format_version": 1, "suites": {SUITE: {"cases": 6}}, "files": files}
    (folder / vectorset.MANIFEST).write_text(json.dumps(manifest))


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"*{vectorcache.SUFFIX}")) if cache.is_dir() else []


def _key(folder: Path) -> str:
    digest = {n: vectorset.sha256((folder / n).read_bytes()) for n in (f"{SUITE}.csv", f"{SUITE}.cases.json")}
    return vectorcache.key(SUITE, digest[f"{SUITE}.csv"], digest[f"{SUITE}.cases.json"])


def _assert_same(got: vectorset.Suite, expected: vectorset.Suite) -> None:
    """Same cases in the same order, and the same frame: columns, dtypes, index, every cell exactly."""
    assert list(got.cases) == list(expected.cases) and got.cases == expected.cases
    assert list(got.values.columns) == list(expected.values.columns)
    assert got.values.dtypes.to_dict() == expected.values.dtypes.to_dict()
    pd.testing.assert_frame_equal(got.values, expected.values, check_exact=True)


def _refuse_parsing(monkeypatch) -> None:
    def parse_again(*args, **kwargs):
        raise AssertionError("parsed although the cache holds the suite")

    monkeypatch.setattr(vectorfile, "parse", parse_again)


def test_hit_gives_the_parsed_frame(vectors, cache, uncached, monkeypatch):
    """The first load writes one entry per way of loading (plain, annotated); later loads read it,
    without parsing, and give the frame and cases the parse gives (VEC-7)."""
    plain, annotated = uncached
    _assert_same(vectorset.load(SUITE, vectors), plain)
    _assert_same(vectorset.load(SUITE, vectors, annotate=annotate), annotated)
    assert len(_entries(cache)) == 2
    _refuse_parsing(monkeypatch)
    for _ in range(2):
        _assert_same(vectorset.load(SUITE, vectors), plain)
        _assert_same(vectorset.load(SUITE, vectors, annotate=annotate), annotated)
    assert len(_entries(cache)) == 2


def test_only_module_level_annotators_are_cached(vectors, cache, uncached):
    """An annotator is told apart by its module and name, so a lambda's result is never stored, and
    another function's result is stored apart (VEC-7)."""
    def tagged(values, cases, parsed):
        return values.assign(tag=1)

    for _ in range(2):
        assert list(vectorset.load(SUITE, vectors, annotate=tagged).values.columns)[-1] == "tag"
        assert "tag" not in vectorset.load(SUITE, vectors, annotate=lambda v, c, p: v).values
    assert _entries(cache) == []
    _assert_same(vectorset.load(SUITE, vectors, annotate=annotate), uncached[1])
    _assert_same(vectorset.load(SUITE, vectors), uncached[0])
    assert len(_entries(cache)) == 2


def test_annotated_load_is_annotate_of_the_plain_load(vectors, cache, uncached):
    """``load(annotate=annotate)`` holds exactly what ``annotate`` adds to the plain values, on a miss and
    on a hit, including any subset of cases (CHK-2, VEC-7)."""
    plain, _ = uncached
    expected = annotate(plain.values, plain.cases)
    for _ in range(2):
        suite = vectorset.load(SUITE, vectors, annotate=annotate)
        pd.testing.assert_frame_equal(suite.values, expected, check_exact=True)
    some = list(plain.cases)[::2]
    part = plain.values[plain.values["case"].isin(some)]
    pd.testing.assert_frame_equal(suite.values[suite.values["case"].isin(some)].reset_index(drop=True),
                                  annotate(part, plain.cases), check_exact=True)


def test_annotation_follows_the_per_name_definitions(vectors, cache):
    """Every row's quantity, layer and indices are ``names.parse`` of its systematic name, and its rank
    is ``chain_rank`` (NOT-2, NOT-3, CHK-2): the whole-column code agrees with the definitions."""
    suite = vectorset.load(SUITE, vectors, annotate=annotate)
    systematic = {c: {display(n, case.get("names")): n for n in systematic_names(case)}
                  for c, case in suite.cases.items()}
    graded = 0
    for row in suite.values.itertuples(index=False):
        case = suite.cases[row.case]
        parsed = parse(systematic[row.case].get(row.name, row.name))
        if parsed is None:
            assert (row.quantity, row.layer, row.i, row.j, row.rank) == ("", 0, 0, -1, -1)
            continue
        quantity, layer, index = parsed
        stage, position, tie = chain_rank(quantity, layer, len(case["layer_sizes"]) - 1)
        assert (row.quantity, row.layer, row.rank) == (quantity, layer, stage * 10_000 + position * 10 + tie)
        assert (row.i, row.j) == (index[0] if index else 0, index[1] if len(index) == 2 else -1), row
        graded += 1
    assert graded > len(suite.values) // 2


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage", "header"])
def test_damaged_entry_falls_back_and_is_rewritten(vectors, cache, uncached, damage):
    """A truncated, corrupted or empty entry is a miss: the suite is parsed, the result is the same,
    nothing is raised, and the entry is written again (VEC-7)."""
    vectorset.load(SUITE, vectors)
    [entry] = _entries(cache)
    content = bytearray(entry.read_bytes())
    if damage == "flip":
        content[-100] ^= 0x01
    elif damage == "truncate":
        content = content[: len(content) // 2]
    elif damage == "empty":
        content = bytearray()
    elif damage == "garbage":
        content = bytearray(os.urandom(len(content)))
    else:
        content[len(vectorcache.MAGIC) + 9] ^= 0x20
    entry.write_bytes(bytes(content))
    assert vectorcache.read(_key(vectors)) is None
    _assert_same(vectorset.load(SUITE, vectors), uncached[0])
    assert vectorcache.read(_key(vectors)) is not None


def test_entry_of_another_key_is_not_served(vectors, cache, uncached):
    """An entry holds its key; one found under another key's file name is a miss (VEC-7)."""
    vectorset.load(SUITE, vectors)
    [entry] = _entries(cache)
    other = vectorcache.key("unit", "0" * 64, "1" * 64)
    shutil.copyfile(entry, vectorcache._path(other))
    assert vectorcache.read(other) is None
    _assert_same(vectorset.load(SUITE, vectors), uncached[0])


def test_changed_vectors_are_parsed_again(vectors, cache, monkeypatch):
    """After the files change (and the manifest with them), the stale entry is not served: the key
    holds both files' SHA-256 (VEC-5, VEC-7)."""
    assert vectorset.load(SUITE, vectors, annotate=annotate).values["digits"].iloc[0] == 30
    csv = vectors / f"{SUITE}.csv"
    csv.write_text(csv.read_text().replace(",30,", ",29,", 1))
    _write_manifest(vectors)
    changed = vectorset.load(SUITE, vectors, annotate=annotate)
    assert changed.values["digits"].iloc[0] == 29
    assert len(_entries(cache)) == 2
    with monkeypatch.context() as patch:
        patch.setenv(vectorcache.ENV, "off")
        _assert_same(changed, vectorset.load(SUITE, vectors, annotate=annotate))


def test_tampered_file_is_refused_even_when_cached(vectors, cache):
    """The manifest check runs on every load, before the cache is consulted (VEC-5, VEC-7)."""
    vectorset.load(SUITE, vectors)
    csv = vectors / f"{SUITE}.csv"
    csv.write_bytes(csv.read_bytes() + b"\n")
    with pytest.raises(InputError, match="SHA-256"):
        vectorset.load(SUITE, vectors)


def test_bad_vectors_are_never_stored(vectors, cache):
    """A file that fails validation raises the same error on every load and leaves no entry (VEC-4,
    VEC-7)."""
    csv = vectors / f"{SUITE}.csv"
    csv.write_text(csv.read_text().replace(",30,", ",31,", 1))
    _write_manifest(vectors)
    messages = set()
    for _ in range(2):
        with pytest.raises(InputError) as err:
            vectorset.load(SUITE, vectors)
        messages.add(str(err.value))
    assert len(messages) == 1 and ":2: digits" in messages.pop()
    assert _entries(cache) == []


def test_unwritable_cache_folder_still_loads(vectors, tmp_path, monkeypatch, uncached):
    """A cache folder that cannot be created or written is no error (VEC-7)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(vectorcache.ENV, str(blocker / "cache"))
    for _ in range(2):
        _assert_same(vectorset.load(SUITE, vectors, annotate=annotate), uncached[1])


@pytest.mark.parametrize("setting", ["off", ""])
def test_off_disables_the_cache(vectors, tmp_path, monkeypatch, uncached, setting):
    """``BPSPEC_CACHE_DIR=off`` (or empty) writes and reads no entry anywhere (VEC-7)."""
    monkeypatch.setenv(vectorcache.ENV, setting)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert vectorcache.folder() is None
    _assert_same(vectorset.load(SUITE, vectors), uncached[0])
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


def test_cache_location(tmp_path, monkeypatch):
    """``$BPSPEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/bpspec``, else ``~/.cache/bpspec`` (VEC-7)."""
    monkeypatch.setenv(vectorcache.ENV, str(tmp_path / "mine"))
    assert vectorcache.folder() == tmp_path / "mine"
    monkeypatch.delenv(vectorcache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert vectorcache.folder() == tmp_path / "xdg" / "bpspec"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert vectorcache.folder() == tmp_path / "home" / ".cache" / "bpspec"


def test_key_names_suite_files_and_format(monkeypatch):
    """The key changes with the suite, either file's SHA-256, the annotator and the cache format
    version, so none of them can be served another's entry (VEC-7)."""
    base = vectorcache.key("seed", "a" * 64, "b" * 64)
    others = [vectorcache.key("unit", "a" * 64, "b" * 64), vectorcache.key("seed", "c" * 64, "b" * 64),
              vectorcache.key("seed", "a" * 64, "c" * 64), vectorcache.key("seed", "a" * 64, "b" * 64, "m.f")]
    monkeypatch.setattr(vectorcache, "CACHE_FORMAT", vectorcache.CACHE_FORMAT + 1)
    others.append(vectorcache.key("seed", "a" * 64, "b" * 64))
    assert len({base, *others}) == 6


def test_old_entries_are_pruned(cache, monkeypatch, uncached):
    """Beyond MAX_ENTRIES, the least recently used entries are removed on a write (VEC-7)."""
    monkeypatch.setattr(vectorcache, "MAX_ENTRIES", 2)
    keys = [vectorcache.key(f"s{k}", "a" * 64, "b" * 64) for k in range(3)]
    for k, entry_key in enumerate(keys):
        vectorcache.write(entry_key, uncached[1].values)
        os.utime(vectorcache._path(entry_key), (1e9 + k, 1e9 + k))
    assert _entries(cache) == sorted(vectorcache._path(k) for k in keys[1:])
    assert vectorcache.read(keys[0]) is None and vectorcache.read(keys[2]) is not None
