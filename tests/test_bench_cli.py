"""``bpspec bench`` as a command: its JSON records, its usage errors and its plot (CLI-1).

No timing is asserted here: the benchmark suite proper is ``benchmarks/`` (``pytest benchmarks
--benchmark-only``); these tests only check that the command runs and reports what it promises.
"""

from __future__ import annotations

import json
import sys

import pytest

from bpspec import cli
from bpspec.benchmarks import report

REQUIRED = ("workload", "dtype", "impl", "median_s", "min_s", "max_s", "ratio")
FAST = ["--workload", "W1", "--quick", "--quiet", "--impl", "numpy,python floats"]


def test_json_records(tmp_path, capsys):
    """One record per workload x dtype x impl, each with the required keys; ours is the denominator."""
    path = tmp_path / "bench.json"
    assert cli.main(["bench", *FAST, "--json", str(path)]) == 0
    records = json.loads(path.read_text())
    assert isinstance(records, list) and records
    keys = [(r["workload"], r["dtype"], r["impl"]) for r in records]
    assert len(keys) == len(set(keys))
    assert {("W1", "float64", "numpy"), ("W1", "float32", "numpy"),
            ("W1", "float64", "python floats")} <= set(keys)
    for r in records:
        assert all(k in r for k in REQUIRED), r
        if r["skipped"] is None:
            assert 0 < r["min_s"] <= r["median_s"] <= r["max_s"] and r["ratio"] > 0
        else:
            assert r["median_s"] is None and r["ratio"] is None
    ours = [r for r in records if r["impl"] == "numpy"]
    assert all(r["ratio"] == 1.0 for r in ours)
    skipped = next(r for r in records if (r["dtype"], r["impl"]) == ("float32", "python floats"))
    assert "float64" in skipped["skipped"]
    out = capsys.readouterr().out
    assert "W1" in out and "ratio" in out and "skipped: Python floats are float64 only" in out


@pytest.mark.parametrize("argv,word", [(["--workload", "W9"], "workload"), (["--dtype", "float8"], "dtype"),
                                       (["--impl", "numba"], "impl")])
def test_unknown_choice_is_a_usage_error(capsys, argv, word):
    """CLI-1: exit 2 and one line naming what is unknown and what is known."""
    assert cli.main(["bench", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"unknown {word}" in err and "known:" in err


def test_plot_without_matplotlib(tmp_path, monkeypatch, capsys):
    """--plot without matplotlib: exit 2 before anything is measured, one line saying what to install."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert cli.main(["bench", *FAST, "--plot", str(tmp_path / "b.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "matplotlib" in err and "bpspec[plot]" in err
    assert not (tmp_path / "b.png").exists()


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "bench.png"
    assert cli.main(["bench", *FAST, "--plot", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_colours_all_different():
    """Each implementation's bars have a colour of their own, up to twenty (a full run charts
    thirteen; matplotlib's default cycle has ten, which gave the eleventh numpy's colour)."""
    pytest.importorskip("matplotlib")
    assert len(set(report.colours(20))) == 20
    assert report.colours(21)[20] == report.colours(21)[0]


@pytest.mark.slow
def test_json_records_with_every_peer(tmp_path):
    """The command as documented, every installed peer included (about 20 s): still one record per
    workload x dtype x impl, each with the required keys; torch.compile a stated skip in a quick run."""
    path = tmp_path / "bench.json"
    assert cli.main(["bench", "--workload", "W1", "--quick", "--quiet", "--json", str(path)]) == 0
    records = json.loads(path.read_text())
    assert len({(r["workload"], r["dtype"], r["impl"]) for r in records}) == len(records) >= 4
    assert all(all(k in r for k in REQUIRED) for r in records)
    compiled = [r for r in records if r["impl"] == "torch.compile"]
    assert all("--quick" in r["skipped"] for r in compiled)


def test_w5_note_splits_the_time_and_rates_the_checker_alone():
    """W5's note gives loading, computing and comparing, and the rate without the adapter's time (CLI-1)."""
    from bpspec.benchmarks.core import Result
    from bpspec.benchmarks.report import notes

    r = Result("W5", "float64", "numpy", times=[2.0], units=100_000, unit="value",
               extra={"split_s": {"loading": 0.1, "computing": 1.0, "comparing": 0.9}})
    (line,) = notes([r])
    assert "loading 100 ms (5%)" in line and "computing 1 s (50%)" in line
    assert line.endswith("the checker alone 100,000 values/s")


def test_w5_note_rates_the_results_file():
    """W5 also times the same values read and graded as a results file (ADP-7), and says so (CLI-1)."""
    from bpspec.benchmarks.core import Result
    from bpspec.benchmarks.report import notes

    r = Result("W5", "float64", "numpy", times=[2.0], units=100_000, unit="value",
               extra={"results_file_s": 0.5, "results_file_values": 99_000})
    (line,) = notes([r])
    assert line == ("W5 float64: the golden values as a results file (ADP-7): 99,000 values read and graded "
                    "in 500 ms, 198,000 values/s")


def test_golden_results_file_passes_every_value(tmp_path):
    """W5's results file is the golden values, so every case passes and every value of the adapter
    run is graded through it (ADP-7)."""
    from bpspec.benchmarks.w5_conformance import _golden_results
    from bpspec.conformance import results

    path = _golden_results(["seed", "trajectories"], tmp_path / "r.csv")
    outcomes, notes = results.grade(results.load(path), path, "float64", ["seed", "trajectories"])
    assert notes == [] and outcomes and all(o.status == "pass" for o in outcomes)
    assert all(o.not_checked < o.values for o in outcomes)


@pytest.fixture(scope="module")
def w4_arrays():
    """W4's networks, 64 of them: enough to exercise the stacked layout."""
    from bpspec.benchmarks.nets import seed_000_arrays, stacked

    return stacked(seed_000_arrays(), 64)


def _results_cases_first(step) -> list:
    """A network.Step's arrays in order: loss, then every layer list, each a NumPy array."""
    import numpy as np

    return [np.asarray(step.loss)] + [np.asarray(a) for key in ("nets", "outs", "deltas", "grad_weights",
                                                                "grad_biases", "new_weights", "new_biases")
                                      for a in getattr(step, key)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_w4_case_last_row_computes_the_same_bits(w4_arrays, dtype):
    """W4's ``numpy case-last`` row times the step ``numpy`` does, on its own layout: every result
    bitwise equal (FWD-1 .. UPD-2; see network's docstring on determinism)."""
    import numpy as np

    from bpspec.benchmarks import ours
    from bpspec.benchmarks.nets import W1_NET
    from bpspec.impl.network import _cases_first

    first = ours.stacked(W1_NET, w4_arrays, dtype)[0]()
    last = ours.stacked_cases_last(W1_NET, w4_arrays, dtype)[0]()
    got = [a if a.ndim == 1 else _cases_first(a) for a in _results_cases_first(last)]
    want = _results_cases_first(first)
    assert len(got) == len(want) == 15
    assert all(g.dtype == np.dtype(dtype) and g.tobytes() == np.ascontiguousarray(w).tobytes()
               for g, w in zip(got, want, strict=True))


def test_w4_jax_all_row_returns_what_ours_returns(w4_arrays):
    """W4's ``jax vmap all`` row computes every result ``network.step`` returns, to float64
    rounding: deltas as dE/dnet (BWD-1), gradients (GRD-1), new weights (UPD-1), biases frozen."""
    pytest.importorskip("jax")
    import numpy as np

    from bpspec.benchmarks import jax_steps, ours
    from bpspec.benchmarks.nets import W1_NET

    E_total, nets, outs, deltas, grads, new = jax_steps.vmap_all(W1_NET, w4_arrays, "float64")[0]()
    got = [E_total, *nets, *outs, *deltas, *(g for g, _ in grads), *(b for _, b in grads),
           *(w for w, _ in new), *(b for _, b in new)]
    want = _results_cases_first(ours.stacked(W1_NET, w4_arrays, "float64")[0]())
    assert len(got) == len(want) == 15
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-13, atol=1e-15)


def test_peer_ratios_to_a_baseline_are_noted():
    """A baseline other than ours gets every peer's ratio to it, in its record and a note (CLI-1);
    forms of ours (names beginning with it) are not peers."""
    from bpspec.benchmarks.core import Result, _ratios
    from bpspec.benchmarks.report import notes

    results = [Result("W4", "float32", "numpy", times=[4.0], units=2),
               Result("W4", "float32", "numpy case-last", times=[2.0], units=2, baseline=True),
               Result("W4", "float32", "numpy loop", times=[8.0], units=1),
               Result("W4", "float32", "jax vmap", times=[3.0], units=2)]
    _ratios(results)
    assert [r.ratio for r in results] == [1.0, 0.5, 4.0, 0.75]
    assert results[1].extra["peer_ratios"] == {"jax vmap": 1.5}
    assert results[1].record()["peer_ratios"] == {"jax vmap": 1.5}
    assert notes(results) == ["W4 float32: ratios to numpy case-last (peer time / its time): jax vmap 1.50"]
