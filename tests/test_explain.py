"""``bpspec explain`` against seed 000's published figures, and its handling of bad input (CLI-2).

The published figures below are the independent check (SEEDS.md, seed 000): each must appear in the
walkthrough of mazur_2_2_2 within one unit of its last printed digit.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from mpmath import mp

import bpspec.catalogue
from bpspec import cases, explain
from bpspec.cli import main

SEEDS = Path(bpspec.catalogue.__file__).parent / "seeds"

#: seed 000's published figures: (our name for the quantity, the figure as printed)
SEED_000 = [
    ("net_h1", "0.3775"), ("out_h1", "0.593269992"), ("out_h2", "0.596884378"),
    ("out_o1", "0.75136507"), ("out_o2", "0.772928465"),
    ("E_o1", "0.274811083"), ("E_o2", "0.023560026"), ("E_total", "0.298371109"),
    ("dE_total/dout_o1", "0.74136507"), ("dout_o1/dnet_o1", "0.186815602"),
    ("dnet_o1/dw5", "0.593269992"), ("dE_total/dw5", "0.082167041"),
    ("new w5", "0.35891648"), ("new w6", "0.408666186"), ("new w7", "0.511301270"),
    ("new w8", "0.561370121"),
    ("dE_o1/dnet_o1", "0.138498562"), ("dE_o1/dout_h1", "0.055399425"),
    ("dE_o2/dout_h1", "-0.019049119"), ("dE_total/dout_h1", "0.036350306"),
    ("dout_h1/dnet_h1", "0.241300709"), ("dE_total/dw1", "0.000438568"),
    ("new w1", "0.149780716"), ("new w2", "0.19956143"), ("new w3", "0.24975114"),
    ("new w4", "0.29950229"),
]


def _explain(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    rc = main(["explain", *argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def _values(out: str) -> dict[str, list[str]]:
    """Every ``name = formula  value`` row of the output: name -> the values printed for it."""
    found: dict[str, list[str]] = {}
    for line in out.splitlines():
        name, eq, rest = line.partition(" = ")
        if eq and line.startswith("  ") and rest.split():
            found.setdefault(name.strip(), []).append(rest.split()[-1])
    return found


def _within_last_digit(printed: str, published: str) -> bool:
    unit = Decimal(1).scaleb(Decimal(published).as_tuple().exponent)
    return abs(Decimal(printed) - Decimal(published)) <= unit


def _significant(text: str) -> int:
    return len(Decimal(text).as_tuple().digits)


@pytest.fixture(scope="module")
def mazur_output() -> str:
    return "\n".join(explain.explain(explain.find_case("mazur_2_2_2")))


def test_every_seed_000_figure_is_printed(capsys: pytest.CaptureFixture) -> None:
    """CLI-2: every figure seed 000 publishes for its first update appears at its printed digits."""
    rc, out, err = _explain(capsys, "mazur_2_2_2")
    assert (rc, err) == (0, "")
    values = _values(out)
    for name, published in SEED_000:
        assert name in values, f"{name} is not printed"
        for printed in values[name]:
            assert _within_last_digit(printed, published), f"{name} = {printed}, published {published}"
            assert Decimal(printed) == Decimal(published) or \
                _significant(printed) >= _significant(published), f"{name}: too few digits"


def test_walkthrough_names_sections_and_conventions(mazur_output: str) -> None:
    """CLI-2: the section headings, the case, its source and the conventions in force are named."""
    lines = mazur_output.splitlines()
    for heading in ("Forward pass", "Loss", "Output layer (layer 2)", "Update (UPD-1, UPD-2)"):
        assert heading in lines
    assert any(line.startswith("Hidden layer 1: ") and "pre-update weights w5..w8" in line
               for line in lines)
    for text in ("mazur_2_2_2; suite seed", "seed 000", "hidden_delta_weights = pre_update",
                 "bias_update = false", "b1, frozen", "i1 = 0.05, i2 = 0.10; target_o1 = 0.01",
                 "w5 = 0.40, w6 = 0.45, w7 = 0.50, w8 = 0.55; b2 = 0.60"):
        assert text in mazur_output
    assert any(line.startswith("  dnet_o1/dout_h1 ") and "= w5 (pre-update)" in line for line in lines)
    assert max(len(line) for line in lines) <= 100


@pytest.mark.parametrize("seed", sorted(p.stem for p in SEEDS.glob("*.json")))
def test_every_seed_case_explains_within_100_columns(seed: str, capsys: pytest.CaptureFixture) -> None:
    """CLI-2: every seed case prints, within 100 columns, with its E_total after two updates."""
    rc, out, err = _explain(capsys, seed, "--steps", "2")
    assert (rc, err) == (0, "")
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "after 2 updates: E_total = " in out


def test_one_update(capsys: pytest.CaptureFixture) -> None:
    """CLI-2, UPD-4: E_total after one update by the conforming method is 0.2910277737."""
    rc, out, _ = _explain(capsys, "mazur_2_2_2", "--steps", "1")
    assert rc == 0
    line = next(line for line in out.splitlines() if line.startswith("after 1 update: E_total = "))
    assert _within_last_digit(line.split()[-1], "0.2910277737")
    assert "measured before update 2" in out


def _post_update_case(tmp_path: Path) -> str:
    if (SEEDS / "mazur_2_2_2_post_update.json").exists():
        return "mazur_2_2_2_post_update"
    case = json.loads((SEEDS / "mazur_2_2_2.json").read_text(encoding="utf-8"))
    case["case"] += "_post_update"
    case["conventions"]["hidden_delta_weights"] = "post_update"
    path = tmp_path / "post_update.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    return str(path)


@pytest.mark.slow
@pytest.mark.parametrize("variant, e_total, out_o1, out_o2", [
    ("pre_update", "3.51018778e-5", "0.01591362", "0.98406427"),
    ("post_update", "3.5084786e-5", "0.0159121963", "0.9840657345"),
])
def test_ten_thousand_updates(variant: str, e_total: str, out_o1: str, out_o2: str,
                              tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """CLI-2, UPD-4, CNV-1: after 10,000 updates the conforming method and the post_update variant
    give SEEDS.md's error and outputs (the variant reproduces the published 0.000035085)."""
    case = "mazur_2_2_2" if variant == "pre_update" else _post_update_case(tmp_path)
    rc, out, _ = _explain(capsys, case, "--steps", "10000")
    assert rc == 0
    line = next(line for line in out.splitlines() if line.startswith("after 10000 updates: "))
    assert _within_last_digit(line.split()[-1], e_total)
    values = _values(out.split(line)[1])
    assert _within_last_digit(values["out_o1"][0], out_o1)
    assert _within_last_digit(values["out_o2"][0], out_o2)


@pytest.mark.parametrize("name, catalogue", [("no_such_case", True), ("mazur_2_2_3", False)])
def test_unknown_case(name: str, catalogue: bool, capsys: pytest.CaptureFixture,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI-1, CLI-2: an unknown case is one line on stderr suggesting known ones, exit 2."""
    if not catalogue:
        monkeypatch.setattr(bpspec.catalogue, "all_cases", list, raising=False)
    rc, out, err = _explain(capsys, name)
    assert (rc, out) == (2, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"unknown case '{name}'; try one of: " in err and "mazur_2_2_2" in err


@pytest.mark.parametrize("argv", [
    ["mazur_2_2_2", "--steps", "0"], ["mazur_2_2_2", "--digits", "0"],
    ["mazur_2_2_2", "--digits", "60"], ["mazur_2_2_2", "--dps", "5"],
    ["missing.json"],
])
def test_unusable_input_is_one_line(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    """CLI-1, CLI-2: bad options and unreadable case files give one line and exit 2."""
    rc, out, err = _explain(capsys, *argv)
    assert (rc, out) == (2, "")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_case_json_path(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """CLI-2, CNV-1: a case file given by path works; under post_update the hidden deltas go through
    the updated w5 (0.3589164797), and the header says so."""
    path = _post_update_case(tmp_path)
    path = path if path.endswith(".json") else str(SEEDS / f"{path}.json")
    rc, out, _ = _explain(capsys, path)
    assert rc == 0
    assert "hidden_delta_weights = post_update" in out and "a named variant" in out
    assert _within_last_digit(_values(out)["dnet_o1/dout_h1"][0], "0.3589164797")


def test_digits_follow_the_option(capsys: pytest.CaptureFixture) -> None:
    """CLI-2: --digits K prints K significant digits, correct against an independent evaluation."""
    rc, out, _ = _explain(capsys, "mazur_2_2_2", "--digits", "30", "--dps", "60")
    assert rc == 0
    printed = _values(out)["out_h1"][0]
    with mp.workdps(40):
        want = mp.nstr(1 / (1 + mp.exp(-mp.mpf("0.3775"))), 30)
    assert printed == want and _significant(printed) == 30


def _deep_case() -> dict:
    """A 6-5-3-2 network, tanh/relu/identity, mse with mean reduction, two mini-batches."""
    vals = [str((i * 7 % 17 - 8) / 16) for i in range(200)]
    take = iter(vals)
    sizes = [6, 5, 3, 2]
    return cases.validate({
        "case": "deep_batch", "suite": "test", "description": "deep, wide, batched", "source": "test",
        "spec_ids": ["CLI-2"], "layer_sizes": sizes, "activations": ["tanh", "relu", "identity"],
        "activation_params": {}, "loss": "mse", "reduction": "mean", "learning_rate": "0.25",
        "conventions": {}, "x": [[next(take) for _ in range(6)] for _ in range(7)],
        "y": [[next(take) for _ in range(2)] for _ in range(7)],
        "weights": [[[next(take) for _ in range(sizes[k])] for _ in range(sizes[k + 1])]
                    for k in range(3)],
        "biases": [[next(take) for _ in range(sizes[k + 1])] for k in range(3)],
        "steps": 10, "batches": [[0, 1, 2, 3, 4], [5, 6]], "record": [0], "dtypes": ["float64"],
    })


def test_deep_batched_network_is_capped() -> None:
    """CLI-2: deeper and batched networks are walked per layer and per sample, the listing capped
    with a note, every line within 100 columns."""
    out = explain.explain(_deep_case(), steps=3)
    text = "\n".join(out)
    assert "Hidden layer 2: " in text and "Hidden layer 1: " in text
    assert "… and 3 more of the 5 samples" in text and "… and 3 more of the 6 inputs" in text
    assert "Σ over 5 samples" in text and "after 3 updates: E_total = " in text
    assert max(len(line) for line in out) <= 100


def test_progress_loop_matches_run_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI-2, UPD-3: the loop that draws the progress bar reaches the state run_case reaches."""
    case = _deep_case()
    quiet = explain.explain(case, steps=5)
    monkeypatch.setattr(explain, "PROGRESS_MIN", 1)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert explain.explain(case, steps=5) == quiet


def test_catalogue_cases_are_found(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """CLI-2: a case of bpspec.catalogue.all_cases() is found by id; a failing catalogue falls back to
    the seed files."""
    monkeypatch.setattr(bpspec.catalogue, "all_cases", lambda: [_deep_case()], raising=False)
    rc, out, _ = _explain(capsys, "deep_batch")
    assert rc == 0 and "deep_batch; suite test" in out

    def broken() -> list:
        raise RuntimeError("catalogue under construction")

    monkeypatch.setattr(bpspec.catalogue, "all_cases", broken, raising=False)
    assert _explain(capsys, "mazur_2_2_2")[0] == 0
    assert _explain(capsys, "deep_batch")[0] == 2
