"""The shipped golden vectors: format, content, determinism, atomic writes (VEC-1..VEC-6, CERT-1,
CERT-2, CASE-2)."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import ml_dtypes
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpspec import atomic, vectorfile, vectorset
from bpspec.cli import main
from bpspec.errors import InputError

SHIPPED = vectorset.default_dir()
SUITES = vectorset.suites(SHIPPED)


def test_shipped_set_is_small_and_complete():
    """Every suite of the design is shipped, within 20 MB (VEC-5)."""
    assert set(SUITES) == {"seed", "unit", "kinks", "random", "trajectories", "stress", "variants"}
    assert sum(p.stat().st_size for p in SHIPPED.iterdir() if p.is_file()) < 20 * 2**20


@pytest.fixture(scope="module", params=SUITES)
def suite(request) -> vectorset.Suite:
    return vectorset.load(request.param, SHIPPED)


def test_values_have_thirty_digits_and_parse(suite):
    """value: 30 significant digits, parsed by float() and pandas (VEC-1, VEC-2)."""
    values = suite.values["value"]
    nonzero = values[values != "0.0"]
    mantissa = nonzero.str.replace(r"^-?|e[-+][0-9]+$", "", regex=True).str.replace(".", "", regex=False)
    assert (mantissa.str.lstrip("0").str.len() == vectorfile.VALUE_DIGITS).all()
    assert np.isfinite([float(v) for v in values.iloc[:: max(1, len(values) // 500)]]).all()


def test_every_value_is_read_as_the_nearest_float64(suite):
    """VEC-2: each row's ref (and scale) is exactly float() of its decimal, cached or parsed afresh
    (pandas' to_numeric before pandas 3 was off by up to ~3e-14 relative, failing exact results)."""
    path = SHIPPED / f"{suite.name}.csv"
    fresh = vectorfile.parse(path.read_bytes(), path)
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    for frame in (suite.values, fresh):
        assert np.array_equal(frame["ref"].to_numpy(), [float(v) for v in frame["value"]])
    assert np.array_equal(fresh["scale"].to_numpy(), [float(v) for v in text["scale"]])


@given(st.lists(st.from_regex(vectorfile.DECIMAL, fullmatch=True), min_size=1, max_size=5))
@settings(max_examples=300, deadline=None)
def test_nearest_floats_rounds_as_float_does(fields):
    """VEC-2: the vector reader's decimal parser is Python's float(), field for field."""
    got = vectorfile.nearest_floats(pd.Series(fields, dtype=object))
    assert [repr(v) for v in got.tolist()] == [repr(float(f)) for f in fields]


def test_weakly_certified_values_are_justified(suite):
    """Values certified to fewer than 25 digits are counted in the manifest and explained in their
    case's notes (CERT-1, CERT-2)."""
    weak = suite.values[suite.values["digits"] < 25]
    manifest = vectorset.read_manifest(SHIPPED)["suites"][suite.name]
    assert manifest["weakly_certified"] == len(weak)
    for case in weak["case"].unique():
        assert "digits" in suite.cases[case].get("notes", ""), case


def test_seed_000_figures_are_in_the_csv():
    """Every seed-000 figure of SEEDS.md is found by name in the shipped CSV, read with pandas (VEC-1)."""
    frame = pd.read_csv(SHIPPED / "seed.csv", dtype={"value": str})
    mazur = frame[frame["case"] == "mazur_2_2_2"].set_index(["step", "name"])["value"]
    post = pd.read_csv(SHIPPED / "variants.csv", dtype={"value": str})
    post = post[post["case"] == "mazur_2_2_2_post_update"].set_index(["step", "name"])["value"]
    figures = [
        (mazur, 0, "net_h1", "0.3775"), (mazur, 0, "out_h1", "0.593269992"),
        (mazur, 0, "out_h2", "0.596884378"), (mazur, 0, "out_o1", "0.75136507"),
        (mazur, 0, "out_o2", "0.772928465"), (mazur, 0, "E_o1", "0.274811083"),
        (mazur, 0, "E_o2", "0.023560026"), (mazur, 0, "E_total", "0.298371109"),
        (mazur, 0, "dE/dout_o1", "0.74136507"), (mazur, 0, "dout_o1/dnet_o1", "0.186815602"),
        (mazur, 0, "dnet_o1/dw5", "0.593269992"), (mazur, 0, "dE/dw5", "0.082167041"),
        (mazur, 0, "new_w5", "0.35891648"), (mazur, 0, "new_w6", "0.408666186"),
        (mazur, 0, "new_w7", "0.511301270"), (mazur, 0, "new_w8", "0.561370121"),
        (mazur, 0, "dE_o1/dnet_o1", "0.138498562"), (mazur, 0, "dE_o1/dout_h1", "0.055399425"),
        (mazur, 0, "dE_o2/dout_h1", "-0.019049119"), (mazur, 0, "dE/dout_h1", "0.036350306"),
        (mazur, 0, "dout_h1/dnet_h1", "0.241300709"), (mazur, 0, "dE/dw1", "0.000438568"),
        (mazur, 0, "new_w1", "0.149780716"), (mazur, 0, "new_w2", "0.19956143"),
        (mazur, 0, "new_w3", "0.24975114"), (mazur, 0, "new_w4", "0.29950229"),
        (mazur, 1, "E_total", "0.2910277737"), (mazur, 10000, "E_total", "0.0000351019"),
        (mazur, 9999, "E_total", "0.0000351085"),
        (post, 1, "E_total", "0.291027924"), (post, 10000, "E_total", "0.000035085"),
        (post, 10000, "out_o1", "0.015912196"), (post, 10000, "out_o2", "0.984065734"),
    ]
    for table, step, name, printed in figures:
        unit = Decimal(1).scaleb(Decimal(printed).as_tuple().exponent)
        assert abs(Decimal(table[(step, name)]) - Decimal(printed)) <= unit, (step, name)


def exact(value: str) -> Fraction:
    return Fraction(value)


def round_trips(value: str, dtype) -> bool:
    f = exact(value)
    return Fraction(float(np.asarray(float(f), dtype=dtype).astype(np.float64))) == f


@pytest.mark.parametrize("name", ["random", "kinks", "trajectories", "variants"])
def test_generated_inputs_are_exact_in_float16_and_bfloat16(name):
    """Every input and parameter of a generated case is exact in float16 and bfloat16 (CASE-2)."""
    for case in vectorset.load(name, SHIPPED).cases.values():
        if case["source"].startswith("seed"):
            continue
        numbers = [case["learning_rate"], *case["activation_params"].values()]
        numbers += [v for key in ("x", "y") for row in case[key] for v in row]
        numbers += [v for w in case["weights"] for row in w for v in row]
        numbers += [v for b in case["biases"] for v in b]
        for dtype in (np.float16, ml_dtypes.bfloat16):
            assert all(round_trips(v, dtype) for v in numbers), (case["case"], dtype)


def test_regeneration_is_deterministic(tmp_path):
    """Two regenerations (one and two processes) write the same bytes as the shipped files (VEC-3)."""
    suites = ["kinks", "stress"]
    args = [a for s in suites for a in ("--suite", s)]
    for jobs, out in (("1", tmp_path / "a"), ("2", tmp_path / "b")):
        assert main(["regenerate", "--out", str(out), "--jobs", jobs, "--quiet", *args]) == 0
    for s in suites:
        for name in (f"{s}.csv", f"{s}.cases.json"):
            a, b = (tmp_path / "a" / name).read_bytes(), (tmp_path / "b" / name).read_bytes()
            assert a == b == (SHIPPED / name).read_bytes(), name


def test_check_names_stale_files(tmp_path, capsys):
    """--check exits 1 and names the file that differs (VEC-3, VEC-5)."""
    out = tmp_path / "v"
    assert main(["regenerate", "--out", str(out), "--suite", "kinks", "--quiet"]) == 0
    (out / "kinks.csv").write_bytes((out / "kinks.csv").read_bytes().replace(b",30,", b",29,", 1))
    assert main(["regenerate", "--out", str(out), "--suite", "kinks", "--check"]) == 1
    assert "kinks.csv" in capsys.readouterr().err


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("case,step,name", "case,stp,name", 1), ":1: header"),
    (lambda t: t.replace(",30,", ",31,", 1), ":2: digits"),
    (lambda t: t.replace("0.377500000000000000000000000000", "0.37,75", 1), ":2:"),
    (lambda t: t.replace("0.377500000000000000000000000000", "nan", 1), ":2: value"),
    (lambda t: t + t.split("\n")[1] + "\n", "duplicate value"),
])
def test_broken_vector_file_names_file_and_line(tmp_path, edit, message):
    """A file that breaks the format gives one line naming file and line (VEC-4)."""
    path = tmp_path / "seed.csv"
    path.write_text(edit((SHIPPED / "seed.csv").read_text()))
    with pytest.raises(InputError) as err:
        vectorfile.read(path)
    text = str(err.value)
    assert str(path) in text and message in text and "\n" not in text


def test_tampered_file_fails_the_manifest(tmp_path):
    """A file whose SHA-256 differs from the manifest is refused (VEC-5)."""
    for p in SHIPPED.iterdir():
        if p.is_file() and p.suffix in (".csv", ".json"):
            (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "kinks.csv").write_bytes((tmp_path / "kinks.csv").read_bytes() + b"\n")
    with pytest.raises(InputError, match="SHA-256"):
        vectorset.load("kinks", tmp_path)


def test_interrupted_commit_leaves_old_or_new(tmp_path):
    """Without the COMPLETE marker a staging folder is discarded; with it, rolled forward (VEC-6)."""
    (tmp_path / "a.csv").write_text("old")
    staging = tmp_path / atomic.STAGING
    staging.mkdir()
    (staging / "a.csv").write_text("new")
    atomic.recover(tmp_path)
    assert (tmp_path / "a.csv").read_text() == "old" and not staging.exists()
    staging.mkdir()
    (staging / "a.csv").write_text("new")
    (staging / atomic.MARKER).write_text(json.dumps({"files": ["a.csv"], "remove": []}))
    atomic.recover(tmp_path)
    assert (tmp_path / "a.csv").read_text() == "new" and not staging.exists()
