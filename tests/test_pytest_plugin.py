"""The pytest entry point (ADP-8): one item per case and dtype, graded as ``bpspec check`` grades it.

Each test runs pytest in-process on ``--pyargs bpspec.conformance`` with pytester; the seed suite
keeps them fast.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from bpspec import vectorset
from bpspec.conformance import report, runner
from bpspec.conformance.adapters import resolve
from bpspec.conformance.pytest_plugin import Entry, read_skips

pytest_plugins = ["pytester"]

BROKEN = "tests.adapters.post_update:step"
INNER = ("--pyargs", "bpspec.conformance", "-p", "no:cacheprovider", "-p", "no:hypothesispytest")
"""Inner runs skip the cache and the hypothesis plugin, whose lazy imports would be redone each run."""
HALF = '''
from bpspec.impl.adapter import step as numpy_step


def step(inp):
    if inp["dtype"] == "float16":
        raise NotImplementedError("no float16 kernel")
    return numpy_step(inp)
'''


def conformance(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest on the conformance module, over the seed suite unless ``args`` names another."""
    return pytester.runpytest(*INNER, *args,
                              *([] if "--bpspec-suite" in args else ["--bpspec-suite", "seed"]))


def verdicts(reprec: pytest.HookRecorder) -> dict[str, tuple[str, str]]:
    """Item name -> (pass|fail|skip|xfail, reason of a skip or xfail), from an inline run's reports."""
    found = {}
    passed, skipped, failed = reprec.listoutcomes()
    for status, reports in (("pass", passed), ("skip", skipped), ("fail", failed)):
        for r in reports:
            if hasattr(r, "wasxfail"):
                verdict = ("xfail", r.wasxfail)
            else:
                verdict = (status, r.longrepr[2].removeprefix("Skipped: ") if status == "skip" else "")
            found[r.nodeid.split("::")[-1]] = verdict
    return found


def test_numpy_passes_the_seed_suite_one_item_per_case(pytester):
    """ADP-8: `--bpspec-impl numpy --bpspec-suite seed` is one passing item per seed case."""
    result = conformance(pytester, "--bpspec-impl", "numpy", "--bpspec-suite", "seed", "-v")
    cases = list(vectorset.load("seed").cases)
    result.assert_outcomes(passed=len(cases))
    result.stdout.fnmatch_lines([f"*::test_case[[]{c}-float64[]] PASSED*" for c in cases])
    assert result.ret == pytest.ExitCode.OK


def test_broken_adapter_fails_at_the_first_delta_with_the_command(pytester):
    """ADP-8, CHK-2: the message is `bpspec check`'s first failing value and the reproducing command."""
    result = conformance(pytester, "--bpspec-impl", BROKEN, "--bpspec-case", "mazur_2_2_2")
    result.assert_outcomes(failed=1)
    [outcome] = runner.run(resolve(BROKEN), "float64", ["seed"], "mazur_2_2_2")
    first = report.first_failure_line(outcome)
    assert "delta[1]" in first
    result.stdout.fnmatch_lines(["*_ test_case[[]mazur_2_2_2-float64[]] _*"])
    assert f"mazur_2_2_2 [float64]: {first}" in result.outlines
    assert (f"reproduce: bpspec check --impl {BROKEN} --dtype float64 --suite seed --case mazur_2_2_2"
            in result.outlines)
    if outcome.diagnosis:
        assert f"likely bug: {outcome.diagnosis}" in result.outlines
    assert "Traceback" not in result.stdout.str()


def test_verdicts_and_skip_reasons_match_bpspec_check(pytester):
    """ADP-8, ADP-3, TOL-6: every item passes, fails or skips (with the same reason) as check_case says."""
    pytester.makepyfile(half_adapter=HALF)
    pytester.syspathinsert()
    dtypes = ["float64", "float16", "bfloat16"]
    reprec = pytester.inline_run(*INNER, "--bpspec-impl", "half_adapter:step",
                                 "--bpspec-suite", "seed", "--bpspec-case", "seed00[34]*",
                                 "--bpspec-dtype", ",".join(dtypes))
    expected = {f"test_case[{o.case}-{o.dtype}]": (o.status, o.reason if o.status == "skip" else "")
                for d in dtypes for o in runner.run(resolve("half_adapter:step"), d, ["seed"], "seed00[34]*")}
    assert verdicts(reprec) == expected
    reasons = {reason for status, reason in expected.values() if status == "skip"}
    assert "unsupported by the adapter: no float16 kernel" in reasons
    assert any(r.startswith("bfloat16 cannot meet it") for r in reasons)


SKIPS = """\
# kept by the library under test
seed003_1_1_1 skip: not ported yet
seed003_split_* float64 xfail: hidden deltas use the updated weights, issue #12
seed003_two_outputs_1_1_2 float32 xfail: only the float32 kernel
"""


def test_skips_file_skips_and_expects_failures(pytester):
    """ADP-8: skip entries skip; a strict xfail entry turns a failing item into an expected failure."""
    skips = pytester.makefile(".txt", skips=SKIPS)
    reprec = pytester.inline_run(*INNER, "--bpspec-impl", BROKEN,
                                 "--bpspec-suite", "seed", "--bpspec-case", "seed003_*",
                                 "--bpspec-skips", str(skips))
    assert verdicts(reprec) == {
        "test_case[seed003_1_1_1-float64]": ("skip", f"not ported yet ({skips}:2)"),
        "test_case[seed003_split_1_2_1-float64]": (
            "xfail", f"hidden deltas use the updated weights, issue #12 ({skips}:3)"),
        "test_case[seed003_two_outputs_1_1_2-float64]": ("fail", ""),
    }


def test_xfail_that_passes_is_a_strict_failure(pytester):
    """ADP-8: an xfail entry for a case the implementation passes fails as XPASS(strict)."""
    skips = pytester.makefile(".txt", skips="seed003_1_1_1 xfail: believed broken\n")
    result = conformance(pytester, "--bpspec-impl", "numpy", "--bpspec-case", "seed003_1_1_1",
                         f"--bpspec-skips={skips}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*believed broken*"])


@pytest.mark.parametrize(("line", "problem"), [
    ("seed003_1_1_1 skipp: typo", "unknown keyword 'skipp'; expected skip or xfail"),
    ("seed003_1_1_1 float8 skip: no such dtype", "unknown dtype 'float8'"),
    ("seed003_1_1_1 skip", "expected '<case glob> [dtype] skip|xfail: reason'"),
    ("seed003_1_1_1 float32 extra skip: four words", "expected '<case glob> [dtype] skip|xfail: reason'"),
    ("seed003_1_1_1 xfail:   ", "no reason after 'xfail:'"),
])
def test_malformed_skips_file_is_a_usage_error_naming_file_and_line(pytester, line, problem):
    """ADP-8, CLI-1: a bad entry is one usage-error line, `file:line: problem`."""
    skips = pytester.makefile(".txt", skips=f"# header\n{line}\n")
    result = conformance(pytester, "--bpspec-impl", "numpy", f"--bpspec-skips={skips}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [e for e in result.errlines if e.strip()]
    assert len(errors) == 1 and errors[0].startswith(f"ERROR: bpspec: {skips}:2: {problem}")


@pytest.mark.parametrize(("args", "message"), [
    (["--bpspec-impl", "no_such_module_x:step"], "--bpspec-impl no_such_module_x:step: cannot import"),
    (["--bpspec-impl", "tests.adapters.post_update:nope"], "module tests.adapters.post_update has no"),
    (["--bpspec-impl", "nonsense"], "--bpspec-impl 'nonsense': expected one of numpy"),
    (["--bpspec-impl", "numpy", "--bpspec-dtype", "float8"], "--bpspec-dtype 'float8'"),
    (["--bpspec-impl", "numpy", "--bpspec-suite", "nope"], "--bpspec-suite: unknown suite 'nope'"),
    (["--bpspec-impl", "numpy", "--bpspec-skips", "missing.txt"], "--bpspec-skips missing.txt: cannot read"),
])
def test_unusable_option_is_one_usage_error(pytester, args, message):
    """ADP-8, CLI-1: an adapter that cannot be loaded, or a bad option, stops pytest with one line."""
    result = conformance(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [e for e in result.errlines if e.strip()]
    assert len(errors) == 1 and errors[0].startswith("ERROR: bpspec: ") and message in errors[0]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_no_matching_case_is_one_collection_error(pytester):
    """ADP-8: a case glob that matches nothing is reported on one line, as `bpspec check` does."""
    result = conformance(pytester, "--bpspec-impl", "numpy", "--bpspec-case", "zz*")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["bpspec: no case matches --bpspec-case 'zz*' in seed"])
    assert "Traceback" not in result.stdout.str()


def test_without_impl_the_module_is_one_skip(pytester):
    """ADP-8: without --bpspec-impl the conformance module collects one item, skipped with the usage."""
    result = conformance(pytester, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*pass --bpspec-impl module:attr*"])


def test_plugin_adds_options_only(pytester):
    """ADP-8: in any other pytest run the plugin adds its options and changes nothing else."""
    pytester.makepyfile(test_other="def test_one():\n    pass\n")
    result = pytester.runpytest(*INNER[2:], "--co", "-q")
    result.stdout.fnmatch_lines(["test_other.py::test_one", "1 test collected*"])
    assert "bpspec" in "\n".join(pytester.runpytest("--help").outlines)
    script = textwrap.dedent("""
        import sys
        import bpspec.conformance.pytest_plugin
        heavy = ("pandas", "bpspec.vectorset", "bpspec.conformance.runner")
        print(sorted(m for m in heavy if m in sys.modules))
    """)
    imported = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "[]"


def test_read_skips_entries(tmp_path):
    """ADP-8: comments and blank lines are ignored; a dtype is optional; the first matching entry wins."""
    path = tmp_path / "skips.txt"
    path.write_text(SKIPS + "\n   # indented comment\nrandom_* bfloat16 skip: too coarse\n", encoding="utf-8")
    entries = read_skips(path)
    assert [(e.pattern, e.dtype, e.action) for e in entries] == [
        ("seed003_1_1_1", None, "skip"), ("seed003_split_*", "float64", "xfail"),
        ("seed003_two_outputs_1_1_2", "float32", "xfail"), ("random_*", "bfloat16", "skip")]
    assert entries[3].where == f"{path}:7"
    assert entries[1].matches("seed003_split_1_2_1", "float64")
    assert not entries[1].matches("seed003_split_1_2_1", "float32")
    assert Entry("*", None, "skip", "r", "f:1").matches("anything", "float16")
