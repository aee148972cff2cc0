"""The pytest entry point: the conformance suite inside a library's own test run (spec ADP-8).

Registered through the ``pytest11`` entry point, so every pytest run loads it; on its own it only
adds the ``--bpspec-*`` options. ``pytest --pyargs bpspec.conformance --bpspec-impl module:attr``
collects ``bpspec/conformance/test_conformance.py``, one item per case and dtype, each graded by
``runner.check_case`` exactly as ``bpspec check`` grades it. The options are validated when pytest
starts (a bad one is a one-line usage error); the vectors are loaded once per session, on the first
collection of the conformance module, and shared by its items. See docs/pytest.md.
"""

from __future__ import annotations

import fnmatch
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from bpspec.conformance.adapters import Adapter
    from bpspec.conformance.rows import Rows
    from bpspec.conformance.runner import Outcome

ACTIONS = ("skip", "xfail")
SKIPS_LINE = "<case glob> [dtype] skip|xfail: reason"
NO_IMPL = "pass --bpspec-impl module:attr to run the bpspec conformance suite (docs/pytest.md)"
NOT_LOADED = "the bpspec pytest plugin is not loaded (plugin autoload disabled?): add -p bpspec"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--bpspec-*`` options, in their own group of ``pytest --help`` (ADP-8)."""
    group = parser.getgroup("bpspec", "bpspec conformance suite (pytest --pyargs bpspec.conformance)")
    group.addoption("--bpspec-impl", metavar="module:attr",
                    help="the adapter under test: numpy, reference, torch, jax or module:attr (ADP-5)")
    group.addoption("--bpspec-dtype", action="append", metavar="DTYPE",
                    help="a dtype to grade in (repeatable or comma-separated; default float64)")
    group.addoption("--bpspec-suite", action="append", metavar="SUITE",
                    help="a vector suite to run (repeatable; default all but variants; 'all' for every one)")
    group.addoption("--bpspec-case", action="append", metavar="GLOB",
                    help="only cases whose id matches this glob (repeatable: any of them)")
    group.addoption("--bpspec-skips", metavar="FILE",
                    help=f"a file of skip and strict xfail entries, one per line: {SKIPS_LINE}")
    group.addoption("--bpspec-vectors", metavar="DIR", help="vector folder (default: the shipped vectors)")


def pytest_configure(config: pytest.Config) -> None:
    """Validate the options of a conformance run before collection; nothing at all without one."""
    impl = config.getoption("bpspec_impl")
    if impl:
        config.stash[_KEY] = Conformance(_settings(config, impl))


@dataclass(frozen=True)
class Entry:
    """One line of a skips file: cases matching ``pattern`` (in ``dtype``, or every dtype if None)."""

    pattern: str
    dtype: str | None
    action: str
    reason: str
    where: str

    def matches(self, case: str, dtype: str) -> bool:
        return fnmatch.fnmatchcase(case, self.pattern) and self.dtype in (None, dtype)


def read_skips(path: Path) -> list[Entry]:
    """The entries of a skips file (ADP-8); a line that is not one raises a usage error naming it."""
    from bpspec.contract import DTYPES

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise pytest.UsageError(f"bpspec: --bpspec-skips {path}: cannot read ({err.strerror})") from None
    except UnicodeDecodeError:
        raise pytest.UsageError(f"bpspec: --bpspec-skips {path}: not UTF-8 text") from None
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{path}:{number}"
        head, colon, reason = stripped.partition(":")
        words = head.split()
        problem = None
        if not colon or len(words) not in (2, 3):
            problem = f"expected '{SKIPS_LINE}'"
        elif words[-1] not in ACTIONS:
            problem = f"unknown keyword {words[-1]!r}; expected skip or xfail"
        elif len(words) == 3 and words[1] not in DTYPES:
            problem = f"unknown dtype {words[1]!r}; expected one of {', '.join(DTYPES)}"
        elif not reason.strip():
            problem = f"no reason after '{words[-1]}:'"
        if problem:
            raise pytest.UsageError(f"bpspec: {where}: {problem}")
        dtype = words[1] if len(words) == 3 else None
        entries.append(Entry(words[0], dtype, words[-1], reason.strip(), where))
    return entries


@dataclass
class Settings:
    """The validated options of one conformance run."""

    impl: str
    adapter: Adapter
    dtypes: list[str]
    suites: list[str]
    cases: list[str]
    vectors: Path | None
    skips: list[Entry]

    def command(self, suite: str, case: str, dtype: str) -> str:
        """The ``bpspec check`` command that reproduces one item (CHK-2)."""
        parts = ["bpspec", "check", "--impl", self.impl, "--dtype", dtype, "--suite", suite]
        if self.vectors is not None:
            parts += ["--vectors", str(self.vectors)]
        return shlex.join([*parts, "--case", case])


def _settings(config: pytest.Config, impl: str) -> Settings:
    from bpspec.conformance import runner
    from bpspec.conformance.adapters import resolve
    from bpspec.contract import DTYPES
    from bpspec.errors import InputError

    dtypes = [d.strip() for value in config.getoption("bpspec_dtype") or ["float64"]
              for d in value.split(",") if d.strip()]
    bad = [d for d in dtypes if d not in DTYPES]
    if bad or not dtypes:
        raise pytest.UsageError(f"bpspec: --bpspec-dtype {','.join(bad)!r}: expected one or more of "
                                f"{', '.join(DTYPES)}")
    vectors = config.getoption("bpspec_vectors")
    vectors = Path(vectors).resolve() if vectors else None
    try:
        adapter = resolve(impl)
        suites = runner.select_suites(config.getoption("bpspec_suite"), vectors)
    except InputError as err:
        message = str(err)
        if message.startswith("--impl "):
            message = "--bpspec-impl " + message.removeprefix("--impl ")
        elif message.startswith("unknown suite"):
            message = f"--bpspec-suite: {message}"
        raise pytest.UsageError(f"bpspec: {message}") from None
    skips_file = config.getoption("bpspec_skips")
    skips = read_skips(Path(skips_file)) if skips_file else []
    return Settings(impl, adapter, list(dict.fromkeys(dtypes)), suites,
                    config.getoption("bpspec_case") or ["*"], vectors, skips)


@dataclass(frozen=True)
class Check:
    """One pytest item: a case under a dtype."""

    suite: str
    case: str
    dtype: str

    @property
    def id(self) -> str:
        return f"{self.case}-{self.dtype}"


@dataclass
class Conformance:
    """The session's state: the settings, and the vectors once loaded."""

    settings: Settings
    _cases: dict[str, dict] = field(default_factory=dict)
    _rows: dict[str, Rows] = field(default_factory=dict)
    _checks: list[Check] | None = None

    def checks(self) -> list[Check]:
        """Every selected case under every dtype, in the order ``bpspec check`` runs them; the
        selected suites are loaded and indexed here, once per session."""
        if self._checks is None:
            self._checks = self._load()
        return self._checks

    def _load(self) -> list[Check]:
        from bpspec import vectorset
        from bpspec.conformance.index import annotate
        from bpspec.conformance.rows import by_case
        from bpspec.errors import InputError

        s = self.settings
        chosen: list[tuple[str, str]] = []
        try:
            for suite_name in s.suites:
                suite = vectorset.load(suite_name, s.vectors, annotate=annotate)
                names = [c for c in suite.cases if any(fnmatch.fnmatchcase(c, g) for g in s.cases)]
                if not names:
                    continue
                self._rows.update(by_case(suite.values, names))
                for name in names:
                    self._cases[name] = suite.cases[name]
                    chosen.append((suite_name, name))
        except InputError as err:
            raise pytest.Collector.CollectError(f"bpspec: {err}") from None
        if not chosen:
            globs = " ".join(f"--bpspec-case {g!r}" for g in s.cases)
            raise pytest.Collector.CollectError(f"bpspec: no case matches {globs} in {', '.join(s.suites)}")
        return [Check(suite, case, dtype) for dtype in s.dtypes for suite, case in chosen]

    def params(self) -> list[Any]:
        """The items' parameters, each marked by the first skips-file entry that matches it."""
        params = []
        for check in self.checks():
            entry = next((e for e in self.settings.skips if e.matches(check.case, check.dtype)), None)
            marks: list[pytest.MarkDecorator] = []
            if entry is not None and entry.action == "skip":
                marks.append(pytest.mark.skip(reason=f"{entry.reason} ({entry.where})"))
            elif entry is not None:
                marks.append(pytest.mark.xfail(reason=f"{entry.reason} ({entry.where})", strict=True))
            params.append(pytest.param(check, marks=marks, id=check.id))
        return params

    def grade(self, check: Check) -> Outcome:
        """The case graded as ``bpspec check`` grades it (CHK-1, TOL-5, ADP-3)."""
        from bpspec.conformance.runner import check_case

        self.checks()
        return check_case(self.settings.adapter, self._cases[check.case], self._rows[check.case],
                          check.dtype)

    def failure_message(self, check: Check, outcome: Outcome) -> str:
        """The first failing value in chain-rule order and the command reproducing it (CHK-2)."""
        from bpspec.conformance.report import first_failure_line

        lines = [f"{check.case} [{check.dtype}]: {first_failure_line(outcome)}"]
        if outcome.diagnosis:
            lines.append(f"likely bug: {outcome.diagnosis}")
        if outcome.values:
            lines.append(f"values: {outcome.values} checked, {outcome.failed} failed, "
                         f"{outcome.not_checked} not checked")
        lines.append(f"reproduce: {self.settings.command(check.suite, check.case, check.dtype)}")
        return "\n".join(lines)


_KEY = pytest.StashKey[Conformance]()


def conformance(config: pytest.Config) -> Conformance | None:
    """The session's conformance run, or None when ``--bpspec-impl`` was not given."""
    return config.stash.get(_KEY, None)
