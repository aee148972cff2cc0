"""Faulty adapters fail their own cases with the reason, the run goes on and the summary counts them;
``--timeout`` abandons a case that does not finish; an adapter's prints do not reach stdout
(ADP-3, ADP-5, CHK-3, CLI-3). The adapters are in tests/adapters/faulty.py: each misbehaves on the
three mse cases of the kinks suite and is correct on the other nine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bpspec.cli import main

ROOT = Path(__file__).resolve().parent.parent
MSE_CASES = {"kinks_identity_relu_001", "kinks_leaky_relu_sigmoid_005", "kinks_relu_tanh_009"}


def check_json(capsys, adapter: str, *extra: str) -> tuple[int, dict, str]:
    code = main(["check", "--impl", f"tests.adapters.faulty:{adapter}", "--suite", "kinks", "--json", *extra])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


@pytest.mark.parametrize(("adapter", "reason"), [
    ("raises", "the adapter raised RuntimeError: the adapter's own bug"),
    ("exits", "the adapter raised SystemExit"),
    ("wrong_shape", "unusable result: grad_weights["),
    ("wrong_layers", "unusable result: grad_weights has no entry for layer 2"),
    ("strings", "not real numbers"),
    ("complex_values", "new_weights[0] holds complex128 values"),
    ("python_objects", "unusable result: loss is not numeric"),
    ("not_a_dict", "the adapter returned list, not a dict"),
    ("hangs", "did not finish the case within 0.5 s"),
])
def test_faulty_case_fails_with_its_reason_and_the_run_goes_on(capsys, adapter, reason):
    """The three faulty cases fail with the reason, the nine others pass, the summary counts them
    (ADP-3, CHK-3)."""
    code, report, _ = check_json(capsys, adapter, "--timeout", "0.5" if adapter == "hangs" else "30")
    assert code == 1
    failed = {c["case"]: c for c in report["cases"] if c["status"] == "fail"}
    assert set(failed) == MSE_CASES
    assert all(reason in c["reason"] for c in failed.values()), [c["reason"] for c in failed.values()]
    total = report["summary"][-1]
    assert (total["pass"], total["fail"], total["cases"]) == (9, 3, 12)


def test_nan_fails_by_value(capsys):
    """NaN never passes: the case fails at its first value, in chain-rule order (TOL-1, CHK-2)."""
    code, report, _ = check_json(capsys, "nan")
    failed = [c for c in report["cases"] if c["status"] == "fail"]
    assert code == 1 and {c["case"] for c in failed} == MSE_CASES
    assert all(c["failures"][0]["quantity"] == "net" and c["failed"] == c["values"] for c in failed)


def test_terminal_summary_counts_adapter_faults(capsys):
    """The terminal report lists each failed case with its reason and counts the faults (CHK-3)."""
    code = main(["check", "--impl", "tests.adapters.faulty:raises", "--suite", "kinks"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("FAIL kinks_") == 3 and "adapter faults: 3 cases raised an exception" in out
    assert out.rstrip().endswith("FAIL: 3 of 12 cases failed")


def test_prints_go_to_stderr_and_json_stays_clean(capsys):
    """An adapter printing to stdout neither fails its case nor corrupts --json (CLI-3)."""
    code, report, err = check_json(capsys, "prints")
    assert code == 0 and report["summary"][-1]["pass"] == 12
    assert "adapter chatter" in err


def test_hanging_batched_form_falls_back_to_single_calls(capsys):
    """A step_many that never returns is abandoned for one step call per recorded step (ADP-5)."""
    started = time.perf_counter()
    code, report, _ = check_json(capsys, "hanging_batch", "--timeout", "1")
    assert code == 0 and report["summary"][-1]["pass"] == 12
    assert time.perf_counter() - started < 60


def test_hung_adapter_does_not_keep_the_process_alive():
    """In a fresh process, cases that never return are abandoned in daemon threads: the command ends,
    exits 1 and prints its report (CLI-1, CLI-3)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    command = [sys.executable, "-m", "bpspec.cli", "check", "--impl", "tests.adapters.faulty:hangs",
               "--suite", "kinks", "--timeout", "0.5"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "adapter faults: 3 cases did not finish within the time limit" in done.stdout
    assert "Traceback" not in done.stderr and time.perf_counter() - started < 120


@pytest.mark.parametrize(("impl", "message"), [
    ("tests.adapters.faulty:no_such_adapter", "has no attribute 'no_such_adapter'"),
    ("tests.adapters.no_such_module:step", "cannot import 'tests.adapters.no_such_module'"),
    ("tests.adapters.faulty:FOREVER", "neither callable nor has a step method"),
])
def test_unknown_adapter_is_a_usage_error(capsys, impl, message):
    """--impl module:attr that does not resolve to an adapter: exit 2, one line (CLI-1)."""
    code = main(["check", "--impl", impl, "--suite", "kinks"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and message in err, err


@pytest.mark.parametrize("value", ["-1", "nan"])
def test_bad_timeout_is_a_usage_error(capsys, value):
    """--timeout must be a number of seconds >= 0 (CLI-3)."""
    code = main(["check", "--impl", "numpy", "--suite", "kinks", "--timeout", value])
    assert code == 2 and "--timeout" in capsys.readouterr().err
