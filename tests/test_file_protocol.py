"""The file protocol for programs in other languages: ``export-inputs`` and ``check --results``
(ADP-6, ADP-7, ADP-2, CHK-3, CLI-1), on a small seed vector set built in a temporary folder."""

from __future__ import annotations

import copy
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest

from bpspec import atomic
from bpspec.cases import validate
from bpspec.catalogue import seed
from bpspec.cli import main
from bpspec.generate import certify
from bpspec.generate.regenerate import build
from bpspec.names import display
from bpspec.reference import step

ROOT = Path(__file__).resolve().parent.parent
OUTPUTS = (("nets", "net"), ("outs", "out"), ("deltas", "delta"), ("grad_weights", "grad_W"),
           ("grad_biases", "grad_b"), ("new_weights", "new_W"), ("new_biases", "new_b"))


@pytest.fixture(scope="module")
def vectors(tmp_path_factory) -> Path:
    """The seed suite, seed 000's 10,001 updates cut to 11 so that the set builds in a second."""
    cases = []
    for case in seed.cases():
        if case["suite"] == "seed":
            if case["case"] == "mazur_2_2_2":
                case = copy.deepcopy(case) | {"steps": 11, "record": [0, 1, 10]}
            cases.append(validate(case))
    folder = tmp_path_factory.mktemp("vectors")
    atomic.commit(folder, build({"seed": cases}, {c["case"]: certify.certify_case(c) for c in cases}, None))
    return folder


@pytest.fixture(scope="module")
def inputs(vectors, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("inputs")
    assert main(["export-inputs", "--out", str(out), "--vectors", str(vectors)]) == 0
    return out


def _rows(case: str, s: int, result: dict, mode: str) -> list[list]:
    rows = [[case, s, "E_total", mpmath.nstr(result["loss"], 20), mode]]
    keys = (("weights", "W"), ("biases", "b"), *OUTPUTS) if mode == "free" else OUTPUTS
    for key, q in keys:
        for l, layer in enumerate(result[key], 1):
            for i, row in enumerate(layer):
                cells = enumerate(row) if isinstance(row, list) else [(None, row)]
                for j, v in cells:
                    name = f"{q}[{l}][{i}]" if j is None else f"{q}[{l}][{i},{j}]"
                    rows.append([case, s, name, mpmath.nstr(v, 20), mode])
    return rows


@pytest.fixture(scope="module")
def reference_rows(inputs) -> list[list]:
    """The reference's results, computed from the exported files alone, every step single and free."""
    rows = []
    for line in (inputs / "steps.jsonl").read_text().splitlines():
        rec = json.loads(line)
        rows += _rows(rec["case"], rec["step"], step(rec), "single")
    for line in (inputs / "trajectories.jsonl").read_text().splitlines():
        t = json.loads(line)
        weights, biases = t["weights"], t["biases"]
        for s in range(t["steps_to_run"]):
            batch = t["batches"][s % len(t["batches"])] if t["batches"] else range(len(t["x"]))
            inp = t | {"x": [t["x"][i] for i in batch], "y": [t["y"][i] for i in batch],
                       "weights": weights, "biases": biases}
            out = step(inp)
            if s in t["record"] and s > 0:
                rows += _rows(t["case"], s, out | {"weights": weights, "biases": biases}, "free")
            weights, biases = out["new_weights"], out["new_biases"]
    return rows


def write(path: Path, rows: list[list], header=("case", "step", "name", "value", "mode")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *rows])
    return path


def check(capsys, vectors: Path, results: Path, *extra: str) -> tuple[int, str, str, dict]:
    report = results.with_suffix(".json")
    code = main(["check", "--results", str(results), "--vectors", str(vectors), "--report", "json",
                 str(report), *extra])
    captured = capsys.readouterr()
    data = json.loads(report.read_text()) if report.exists() else {}
    return code, captured.out, captured.err, data


def test_export_writes_every_input_as_exact_decimals(inputs, vectors):
    """steps.jsonl holds one step input per recorded step, later steps from the golden W and b;
    trajectories.jsonl the whole data set and the schedule; no staging folder is left (ADP-6)."""
    manifest = json.loads((inputs / "MANIFEST.json").read_text())
    assert manifest["counts"] == {"cases": 6, "steps": 17, "trajectories": 4, "skipped": 0}
    steps = [json.loads(line) for line in (inputs / "steps.jsonl").read_text().splitlines()]
    later = next(r for r in steps if r["case"] == "mazur_2_2_2" and r["step"] == 1)
    assert later["weights"][1][0][0].startswith("0.35891647971788461")
    assert later["learning_rate"] == "0.5" and later["dtype"] == "float64"
    traj = {t["case"]: t for t in map(json.loads, (inputs / "trajectories.jsonl").read_text().splitlines())}
    assert traj["mazur_2_2_2"]["steps_to_run"] == 11 and traj["mazur_2_2_2"]["record"] == [0, 1, 10]
    assert "README.md" in manifest["files"] and not (inputs / atomic.STAGING).exists()


def test_reference_results_pass(capsys, vectors, inputs, reference_rows, tmp_path):
    """The reference's own results, written as a results file, pass with every value checked (ADP-7)."""
    code, out, _, data = check(capsys, vectors, write(tmp_path / "ref.csv", reference_rows))
    total = data["summary"][-1]
    assert code == 0, out
    assert total["fail"] == 0 and total["not checked"] == 0 and total["passed"] == total["values"] > 400


def test_seed_aliases_name_the_same_values(capsys, vectors, reference_rows, tmp_path):
    """Rows may use a seed case's aliases instead of systematic names (NOT-3, ADP-7)."""
    cases = json.loads((vectors / "seed.cases.json").read_text())
    aliases = next(c["names"] for c in cases if c["case"] == "mazur_2_2_2")
    rows = [[c, s, display(n, aliases) if c == "mazur_2_2_2" else n, v, m]
            for c, s, n, v, m in reference_rows]
    assert any(r[2] == "net_h1" for r in rows)
    code, out, _, data = check(capsys, vectors, write(tmp_path / "alias.csv", rows))
    assert code == 0 and data["summary"][-1]["not checked"] == 0, out


def test_nan_value_fails_with_its_name(capsys, vectors, reference_rows, tmp_path):
    """A NaN the program states is a failed value, named with step, got and expected (TOL-1, CHK-2)."""
    target = ["seed003_1_1_1", 0, "delta[1][0,0]"]
    rows = [[*r[:3], "nan", r[4]] if r[:3] == target else r for r in reference_rows]
    code, out, _, data = check(capsys, vectors, write(tmp_path / "nan.csv", rows))
    assert code == 1
    assert ("FAIL seed003_1_1_1 [float64]: first out of tolerance (single-step): step 0 delta[1][0,0] = nan, "
            "expected") in out
    assert data["summary"][-1]["failed"] == 1


def test_wrong_free_running_value_fails_as_free_running(capsys, vectors, reference_rows, tmp_path):
    """A free-mode row is graded against the trajectory at its recorded step, and reported by the
    case's own name for it (TOL-5, ADP-7, NOT-3)."""
    rows = [[*r[:3], "0.5", r[4]] if r[:3] == ["seed004_relu_neuron", 50, "W[1][0,0]"] and r[4] == "free"
            else r for r in reference_rows]
    code, out, _, _ = check(capsys, vectors, write(tmp_path / "free.csv", rows))
    assert code == 1 and "(free-running): step 50 w = 0.5, expected 0.38982044704181" in out


def test_missing_rows_are_not_checked_never_passed(capsys, vectors, reference_rows, tmp_path):
    """Missing rows count as not checked; a case without any row is skipped, not passed (ADP-2, CHK-3)."""
    rows = [r for r in reference_rows if not r[2].startswith("delta") and r[0] != "seed003_1_1_1"]
    code, out, _, data = check(capsys, vectors, write(tmp_path / "missing.csv", rows))
    assert code == 0, out
    cases = {c["case"]: c for c in data["cases"]}
    assert cases["seed003_1_1_1"]["status"] == "skip"
    assert cases["seed003_1_1_1"]["reason"] == "no results for this case"
    mazur = cases["mazur_2_2_2"]
    assert mazur["not_checked"] > 0 and mazur["passed"] + mazur["not_checked"] == mazur["values"]
    assert "skipped 1 case: no results for this case" in out


def test_extra_rows_are_reported_and_ignored(capsys, vectors, reference_rows, tmp_path):
    """Rows naming values the vectors do not have are summed up in one line; the verdict stands."""
    extra = [["mazur_2_2_2", 3, "E_total", "1", "single"], ["nosuch", 0, "E_total", "1", "single"],
             ["mazur_2_2_2", 0, "net[1][7,0]", "1", "single"]]
    code, out, _, _ = check(capsys, vectors, write(tmp_path / "extra.csv", reference_rows + extra))
    assert code == 0, out
    assert "3 rows name values the vectors do not have (suites seed), e.g. mazur_2_2_2 step 3 E_total" in out


BAD_FILES = {
    "duplicate": (b'case,step,name,value\nmazur_2_2_2,0,E_total,1\nmazur_2_2_2,0,E_total,1\n', 3,
                  "repeats the value of line 2"),
    "alias_twice": (b'case,step,name,value\nmazur_2_2_2,0,net_h1,1\nmazur_2_2_2,0,"net[1][0,0]",1\n', 3,
                    "repeats the value of line 2"),
    "header": (b"case,step,name,val\nmazur_2_2_2,0,E_total,1\n", 1, "expected case,step,name,value"),
    "not_utf8": (b"case,step,name,value\nmazur_2_2_2,0,E_total,1\xff\n", 2, "not UTF-8"),
    "empty": (b"", 1, "empty results file"),
    "value": (b"case,step,name,value\nmazur_2_2_2,0,E_total,one\n", 2, "is not a decimal number"),
    "fields": (b"case,step,name,value\nmazur_2_2_2,0,E_total,1,2\n", 2, "malformed CSV row"),
    "mode": (b"case,step,name,value,mode\nmazur_2_2_2,0,E_total,1,both\n", 2, "is not single or free"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_unusable_results_file_is_one_line_exit_2(capsys, vectors, tmp_path, kind):
    """An unusable results file: one line naming file and line, exit 2, no traceback (CLI-1, ADP-7)."""
    content, line, problem = BAD_FILES[kind]
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(content)
    code, out, err, _ = check(capsys, vectors, path)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"bpspec check: {path}:{line}: ") and problem in err


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_javascript_example_passes(vectors):
    """The independent JavaScript implementation passes through the file protocol (ADP-6, ADP-7)."""
    env = os.environ | {"BPSPEC": f"{sys.executable} -m bpspec.cli"}
    done = subprocess.run([str(ROOT / "examples" / "run_js.sh"), "--vectors", str(vectors)], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS: 6 cases passed" in done.stdout


@pytest.mark.parametrize("bug", ["post_update", "transposed_weights", "no_activation_derivative",
                                 "learning_rate_sign", "float32_accumulation"])
def test_results_of_a_catalogued_bug_are_diagnosed_as_the_adapter_is(capsys, vectors, inputs, tmp_path, bug):
    """A program with a classic bug, graded through its results file, gets the diagnosis its adapter
    gets (ADP-7, CHK-5): the file's values are the evidence, as an adapter's results are."""
    import numpy as np

    from tests.adapters.bugs import BUGS

    adapter = BUGS[bug].make()
    rows = []
    for line in (inputs / "steps.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if rec["case"] == "mazur_2_2_2":
            got = adapter.step(rec)
            result = {k: float(v) if k == "loss" else [np.asarray(a, dtype=np.float64).tolist() for a in v]
                      for k, v in got.items()}
            rows += _rows(rec["case"], rec["step"], result, "single")
    code, _, _, report = check(capsys, vectors, write(tmp_path / "r.csv", rows), "--case", "mazur_2_2_2")
    by_file = report["cases"][0]
    assert code == 1 and by_file["status"] == "fail"
    main(["check", "--impl", f"tests.adapters.bugs:{bug}", "--vectors", str(vectors), "--case", "mazur_2_2_2",
          "--report", "json", str(tmp_path / "a.json")])
    by_adapter = json.loads((tmp_path / "a.json").read_text())["cases"][0]
    assert bug in by_file["diagnosis"] and by_file["diagnosis"] == by_adapter["diagnosis"]
