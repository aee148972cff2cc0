"""The kill test: ``bpspec regenerate`` killed with SIGKILL at 20 moments spread over its run leaves
every suite loadable against its manifest, and the files either all old or all new (VEC-5, VEC-6).

Each kill hits a fresh copy of a small vector set (kinks, stress and seed) whose kinks and stress
files differ from what the generator writes, so that the old set and the new one can be told apart.
The runs are forked from one warmed-up server process, which has imported bpspec and built the
catalogue once, so that the 20 runs cost only their work: certifying the two suites, then committing
them. Each ``os.replace`` of the commit sleeps 0.06 s, so that a third or more of the moments fall
inside the commit (staging the files, the COMPLETE marker, the renames) instead of within a few
milliseconds of it; the test asserts that kills landed both while staging and while renaming. The
moments are stratified and seeded: moment k lies at (k + u_k) / 20 of a reference run, u_k uniform;
a moment inside the commit is timed from the commit's start, which each run announces, so that a
machine slower at certifying than during the reference run still sees every phase.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bpspec import vectorset

SHIPPED = Path(__file__).resolve().parent.parent / "vectors"
SUITES = ("kinks", "stress")
KEPT = "seed"
"""A suite the run does not regenerate: its manifest entry must survive every kill."""
KILLS = 20
SLOW_REPLACE = 0.06

SERVER = r"""
import os, sys, time
from bpspec import atomic
from bpspec.cli import main
from bpspec.generate import regenerate

catalogue = regenerate.catalogue()
regenerate.catalogue = lambda: catalogue
replace, commit = os.replace, atomic.commit

def announced_commit(*args, **kwargs):
    print("COMMIT", flush=True)
    return commit(*args, **kwargs)

def slow_replace(src, dst):
    time.sleep(float(sys.argv[1]))
    replace(src, dst)

os.replace = slow_replace
atomic.commit = announced_commit
print("READY", flush=True)
for line in sys.stdin:
    argv = line.split()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = main(argv)
        finally:
            sys.stdout.flush()
            os._exit(code)
    print("PID", pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print("EXIT", status, flush=True)
"""


def old_set(folder: Path) -> dict[str, bytes]:
    """A valid vector set of SUITES and KEPT whose SUITES files differ from the generator's: one
    certified digit lowered in each, the manifest hashing the files as they are."""
    manifest = json.loads((SHIPPED / vectorset.MANIFEST).read_text())
    manifest["suites"] = {s: manifest["suites"][s] for s in (*SUITES, KEPT)}
    files = {}
    for s in (*SUITES, KEPT):
        for name in (f"{s}.csv", f"{s}.cases.json"):
            content = (SHIPPED / name).read_bytes()
            if s != KEPT and name.endswith(".csv"):
                content = content.replace(b",30,", b",29,", 1)
            files[name] = content
    manifest["files"] = {n: {"sha256": vectorset.sha256(c), "bytes": len(c)} for n, c in files.items()}
    files[vectorset.MANIFEST] = (json.dumps(manifest, indent=1) + "\n").encode()
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return files


class Server:
    """The warmed-up process that forks one ``bpspec regenerate`` per request."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, str(SLOW_REPLACE)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        assert self.readline() == "READY"

    def readline(self) -> str:
        line = self.proc.stdout.readline().strip()
        assert line, "the regenerate server died"
        return line

    def regenerate(self, folder: Path, kill_after: float | None = None, from_commit: bool = False,
                   extra: list[str] | None = None) -> tuple[float, float, int]:
        """Run regenerate on ``folder`` (with ``extra`` arguments instead of the suites); SIGKILL it
        ``kill_after`` seconds after its start, or after its commit starts. Returns when the commit
        started and when the run ended, in seconds from its start, and its wait status."""
        args = ["regenerate", "--out", str(folder), "--quiet"] + (
            extra or [a for s in SUITES for a in ("--suite", s)])
        self.proc.stdin.write(" ".join(args) + "\n")
        self.proc.stdin.flush()
        pid = int(self.readline().split()[1])
        started = time.perf_counter()
        committed = float("nan")
        line = ""
        if kill_after is not None and from_commit:
            line = self.readline()
            committed = time.perf_counter() - started
        if kill_after is not None:
            time.sleep(kill_after)
            with contextlib.suppress(ProcessLookupError):  # it may have finished
                os.kill(pid, signal.SIGKILL)
        while not line.startswith("EXIT"):
            line = self.readline()
            if line == "COMMIT":
                committed = time.perf_counter() - started
        return committed, time.perf_counter() - started, int(line.split()[1])

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def generation(folder: Path, old: dict[str, bytes], new: dict[str, bytes]) -> tuple[str, str]:
    """('old' or 'new', the phase the kill interrupted): every suite loads against the manifest
    (which first finishes or discards an interrupted commit, VEC-6), nothing half-written is left,
    and all files are of one generation."""
    staging = folder / ".staging"
    phase = "rename" if (staging / "COMPLETE").exists() else "staging" if staging.exists() else "-"
    for suite in (*SUITES, KEPT):
        vectorset.load(suite, folder)
    assert not (folder / ".staging").exists()
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]
    kinds = set()
    for name in (n for n in new if new[n] != old[n]):
        content = (folder / name).read_bytes()
        kinds.add("new" if content == new[name] else "old" if content == old[name] else "other")
    assert len(kinds) == 1 and "other" not in kinds, kinds
    return kinds.pop(), phase


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the kill server forks")
def test_killed_regenerate_leaves_old_or_new_set(tmp_path):
    """20 SIGKILLs spread over a regenerate run: each leaves a valid set, old or new (VEC-6)."""
    old = old_set(tmp_path / "template")
    server = Server()
    try:
        done = tmp_path / "complete"
        shutil.copytree(tmp_path / "template", done)
        commit_at, runtime, status = server.regenerate(done)
        assert status == 0
        new = {n: (done / n).read_bytes() for n in old}
        assert all(new[f"{s}.csv"] == (SHIPPED / f"{s}.csv").read_bytes() for s in SUITES)
        rng = random.Random(20240611)
        seen, phases = [], []
        for k in range(KILLS):
            folder = tmp_path / f"kill{k:02d}"
            shutil.copytree(tmp_path / "template", folder)
            at = runtime * (k + rng.random()) / KILLS  # a moment of the reference run
            if at < commit_at:  # while certifying: timed from the start
                server.regenerate(folder, at)
            else:  # while committing: timed from the commit's start, which the run announces
                server.regenerate(folder, at - commit_at, from_commit=True)
            kind, phase = generation(folder, old, new)
            seen.append(kind)
            phases.append(phase)
        assert "old" in seen and "new" in seen, seen
        assert {"staging", "rename"} <= set(phases), f"no kill inside the commit's phases: {phases}"
        survivor = tmp_path / f"kill{seen.index('new'):02d}"
        args = [a for s in SUITES for a in ("--suite", s)]
        *_, status = server.regenerate(survivor, extra=["--check", *args])
        assert status == 0, "regenerate --check finds the surviving new set stale"
    finally:
        server.close()
