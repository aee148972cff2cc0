"""Bad input never crashes: every file of the corpus (tests/corpus/expected.csv) gives exit code 2 and
one line on stderr naming the file and the line, or the case and field, and the problem; no traceback;
declared sizes refused before allocation (CLI-1, CLI-5, CLI-6, VEC-4, VEC-5,
CASE-1, CASE-3, ADP-4, ADP-6, ADP-7).

Each kind of file is fed as a user would meet it:

- vectors, caselist, manifest: `tiny.csv`, `tiny.cases.json` or `MANIFEST.json` of a vector folder,
  through `bpspec check --vectors DIR`;
- case: a case definition file, through `bpspec explain FILE`;
- results: a results file, through `bpspec check --results FILE`;
- steps, trajectories: `steps.jsonl` or `trajectories.jsonl` of an export folder, through
  `bpspec export-inputs --verify DIR`.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from bpspec import vectorset
from bpspec.cli import main

CORPUS = Path(__file__).resolve().parent / "corpus"
BASE = CORPUS / "base"
DOC = Path(__file__).resolve().parent.parent / "docs" / "bad-input.md"
SUITE = "tiny"
HUGE_PEAK = 64 * 2**20
"""Bytes the checker may allocate on an input declaring a huge size: far below what the size needs."""


def rows() -> list[dict[str, str]]:
    with (CORPUS / "expected.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def vector_folder(folder: Path, **override: bytes) -> Path:
    """A vector folder of the tiny suite, ``override`` replacing files by name; the manifest states
    the hashes of the files as written, unless it is itself overridden."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in (f"{SUITE}.csv", f"{SUITE}.cases.json"):
        content = override.get(name, (BASE / name).read_bytes())
        (folder / name).write_bytes(content)
        files[name] = {"sha256": vectorset.sha256(content), "bytes": len(content)}
    manifest = {"format_version": 1, "suites": {SUITE: {"cases": 1}}, "files": files}
    (folder / vectorset.MANIFEST).write_bytes(override.get("MANIFEST.json", json.dumps(manifest).encode()))
    return folder


def export_folder(folder: Path, **override: bytes) -> Path:
    """An export folder of the tiny suite (ADP-6) whose manifest matches the files as written."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in ("steps.jsonl", "trajectories.jsonl", "README.md"):
        default = (BASE / name).read_bytes() if name != "README.md" else b""
        content = override.get(name.replace(".", "_"), default)
        (folder / name).write_bytes(content)
        files[name] = {"sha256": vectorset.sha256(content), "bytes": len(content)}
    (folder / "MANIFEST.json").write_text(json.dumps({"format_version": 1, "files": files}))
    return folder


def command(row: dict[str, str], tmp: Path) -> tuple[list[str], str]:
    """The command line that feeds one corpus file, and the path its error message must name."""
    data = (CORPUS / row["file"]).read_bytes()
    kind = row["kind"]
    if kind in ("vectors", "caselist", "manifest"):
        name = {"vectors": f"{SUITE}.csv", "caselist": f"{SUITE}.cases.json",
                "manifest": vectorset.MANIFEST}[kind]
        folder = vector_folder(tmp / "vectors", **{name: data})
        shown = str(folder) if kind == "manifest" else str(folder / name)
        return ["check", "--impl", "numpy", "--vectors", str(folder), "--suite", SUITE], shown
    if kind == "case":
        return ["explain", str(CORPUS / row["file"])], str(CORPUS / row["file"])
    if kind == "results":
        folder = vector_folder(tmp / "vectors")
        path = CORPUS / row["file"]
        return ["check", "--results", str(path), "--vectors", str(folder), "--suite", SUITE], str(path)
    folder = export_folder(tmp / "inputs", **{f"{kind}_jsonl": data})
    return ["export-inputs", "--verify", str(folder)], str(folder / f"{kind}.jsonl")


def test_corpus_is_large_and_varied():
    """At least 40 malformed inputs, of every file kind, in at least 20 classes."""
    table = rows()
    assert len(table) >= 40
    assert {r["kind"] for r in table} >= {"vectors", "caselist", "manifest", "case", "results", "steps"}
    assert len({r["class"] for r in table}) >= 20
    assert all((CORPUS / r["file"]).is_file() for r in table)


def test_base_files_are_valid(tmp_path, capsys):
    """The files the corpus mutates are themselves good input: each command succeeds on them."""
    folder = vector_folder(tmp_path / "vectors")
    assert main(["check", "--impl", "numpy", "--vectors", str(folder), "--suite", SUITE]) == 0
    assert main(["check", "--results", str(BASE / "results.csv"), "--vectors", str(folder),
                 "--suite", SUITE]) == 0
    assert main(["export-inputs", "--verify", str(export_folder(tmp_path / "inputs"))]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("row", rows(), ids=lambda r: r["file"])
def test_bad_input_is_one_line_exit_2(row, tmp_path, capsys):
    """Exit 2, exactly one line on stderr naming the file and line (or case and field) and the
    problem, no traceback; a huge declared size is refused before allocation (CLI-1, ADP-4, CASE-3)."""
    argv, shown = command(row, tmp_path)
    huge = row["huge"] == "1"
    if huge:
        tracemalloc.start()
    try:
        code = main(argv)
        peak = tracemalloc.get_traced_memory()[1] if huge else 0
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"bpspec {argv[0]}: "), lines[0]
    assert f"{shown}{row['where']}" in lines[0], lines[0]
    assert row["fragment"] in lines[0], lines[0]
    assert len(lines[0]) < 400
    assert peak < HUGE_PEAK


@pytest.mark.parametrize("file", ["case/huge_declared_network.json", "results/ten_thousand_digits.csv",
                                  "case/deep_nesting.json"])
def test_console_script_prints_no_traceback(file, tmp_path):
    """Through the installed entry point in a fresh process, under a 2 GiB address-space limit that
    allocating a declared 65536 x 65536 network would break (CLI-1, ADP-4)."""
    row = next(r for r in rows() if r["file"] == file)
    argv, shown = command(row, tmp_path)
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
    script = f"{limit}import sys; from bpspec.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert shown in done.stderr and row["fragment"] in done.stderr


def bad_input_table() -> str:
    """The Markdown table of docs/bad-input.md, from the corpus: one row per class and file kind."""
    grouped: dict[tuple[str, str], list[dict[str, str]]] = {}
    for r in rows():
        grouped.setdefault((r["class"], r["kind"]), []).append(r)
    out = ["| class | file kind | example (tests/corpus/) | the one-line message contains |",
           "|---|---|---|---|"]
    for (cls, kind), group in sorted(grouped.items()):
        r = group[0]
        message = f"`FILE{r['where']} … {r['fragment']}`".replace("|", "\\|")
        out.append(f"| {cls} | {kind} | `{r['file']}` ({r['what']}) | {message} |")
    return "\n".join(out)


def test_docs_table_matches_the_corpus():
    """docs/bad-input.md lists every class of bad input with its message, as the corpus has them."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- corpus table -->\n(.*?)\n<!-- end corpus table -->", text, re.S)
    assert found, "docs/bad-input.md lacks the generated table markers"
    assert found.group(1) == bad_input_table(), \
        "docs/bad-input.md is stale; paste the output of: python -c 'from tests.test_bad_input import " \
        "bad_input_table; print(bad_input_table())'"
