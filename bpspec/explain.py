"""Print one step of a case, every chain-rule factor named, as seed 000 walks through it (CLI-2).

``bpspec explain CASE`` shows step 0 of a case: the forward pass (FWD-1, FWD-2), the loss terms
(LOSS-1..LOSS-4), the output layer (BWD-1, BWD-2, GRD-1, UPD-1) and the hidden layers (BWD-3,
GRD-2, UPD-2) under the conventions in force (CNV-1..CNV-4), in the case's own names (NOT-2,
NOT-3). ``--steps N`` adds the error and outputs after N updates of the case's schedule (UPD-3,
UPD-4). CASE is a seed case id, a catalogue case id or the path of a case JSON file.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mpmath import mp

from bpspec import cases
from bpspec.errors import InputError, UsageError
from bpspec.explain_rows import SHOW, SHOW_SAMPLES, Row, Walkthrough, table
from bpspec.reference import Trace, run_case

PROGRESS_MIN = 200   # updates from which --steps draws a progress bar on a terminal


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", metavar="CASE", help="case id (e.g. mazur_2_2_2) or case JSON file")
    parser.add_argument("--steps", type=int, metavar="N", help="also show the state after N updates")
    parser.add_argument("--dps", type=int, default=50, metavar="D", help="working digits (50)")
    parser.add_argument("--digits", type=int, default=10, metavar="K", help="digits shown (10)")


def run(args: argparse.Namespace) -> int:
    """``bpspec explain`` (CLI-2): 0, or an ``InputError`` (exit 2) for a bad case or option."""
    if not 10 <= args.dps <= 10_000:
        raise UsageError(f"--dps {args.dps}: the working precision must be 10..10000 digits")
    if not 1 <= args.digits <= args.dps:
        raise UsageError(f"--digits {args.digits}: must be 1..{args.dps} (the working precision)")
    if args.steps is not None and not 1 <= args.steps <= cases.MAX_STEPS:
        raise UsageError(f"--steps {args.steps}: must be 1..{cases.MAX_STEPS}")
    print("\n".join(explain(find_case(args.case), args.dps, args.digits, args.steps)))
    return 0


def find_case(name: str) -> dict[str, Any]:
    """A validated case: a seed case file, a case JSON file, else a catalogue case (CASE-1)."""
    spec = importlib.util.find_spec("bpspec.catalogue")
    dirs = [Path(p) / "seeds" for p in (spec.submodule_search_locations or [])] if spec else []
    seeds = {p.stem: p for d in dirs for p in sorted(d.glob("*.json"))}
    if name in seeds:
        return cases.load(seeds[name])
    if name.endswith(".json") or "/" in name:
        return cases.load(Path(name))
    catalogue = _catalogue()
    if name in catalogue:
        return cases.validate(catalogue[name], name)
    if Path(name).is_file():
        return cases.load(Path(name))
    known = sorted(set(seeds) | set(catalogue))
    hint = difflib.get_close_matches(name, known, n=6, cutoff=0.7) or sorted(seeds)
    raise InputError(f"unknown case {name!r}; try one of: {', '.join(hint)} ({len(known)} cases in all)")


def _catalogue() -> dict[str, Any]:
    """Every catalogue case by id; empty while ``bpspec.catalogue.all_cases`` is missing or fails."""
    try:
        from bpspec import catalogue

        found = catalogue.all_cases()
        items = found.values() if isinstance(found, Mapping) else found
        return {c["case"]: c for c in items if isinstance(c, Mapping) and "case" in c}
    except Exception:
        return {}


def explain(case: Mapping[str, Any], dps: int = 50, digits: int = 10,
            steps: int | None = None) -> list[str]:
    """The lines ``bpspec explain`` prints for a validated case (CLI-2)."""
    with mp.workdps(dps):
        w = Walkthrough(case, dps, digits)
        out = [*w.header(), "", "Given (step 0)", *w.given()]
        for title, rows in [("Forward pass", w.forward()), ("Loss", w.loss()),
                            (f"Output layer (layer {w.L})", w.layer(w.L))]:
            out += ["", title, *table(rows, w.fmt)]
        hidden = [ly for ly in reversed(w.layers) if ly < w.L]
        for prev, ly in zip([w.L, *hidden], hidden, strict=False):
            out += [""] + w.gap(prev, ly) if prev - ly > 1 else []
            last = w.n(f"W[{ly + 1}][{w.sizes[ly + 1] - 1},{w.sizes[ly] - 1}]")
            first = w.n(f"W[{ly + 1}][0,0]")
            weights = first if first == last else f"{first}..{last}"
            out += ["", f"Hidden layer {ly}: dE_total/dout through the "
                    f"{'pre' if w.pre else 'post'}-update weights {weights} (CNV-1)",
                    *table(w.layer(ly), w.fmt)]
        out += ["", "Update (UPD-1, UPD-2)", *table(_update(w), w.fmt)]
        return out + (_after(w, steps) if steps else [])


def _update(w: Walkthrough) -> list[Row]:
    """The parameters update 1 leaves, each with its numbers (UPD-1, UPD-2)."""
    rows, eta, t, c = [], w.value(w.case["learning_rate"]), w.t, w.case

    def minus(old: str, grad: Any) -> str:
        g = w.fmt(grad)
        return f"{w.value(old)} − {eta}·" + (f"({g})" if g.startswith("-") else g)

    for prev, ly in zip([0, *w.layers], w.layers, strict=False):
        rows += w.gap(prev, ly)
        for j in w.units(ly):
            rows += [(f"  new {w.n(f'W[{ly}][{j},{k}]')}",
                      minus(c["weights"][ly - 1][j][k], t.grad_weights[ly - 1][j][k]),
                      t.new_weights[ly - 1][j][k]) for k in w.units(ly - 1)]
            rows.append((f"  new {w.n(f'b[{ly}][{j}]')}", "frozen" if w.frozen else
                         minus(c["biases"][ly - 1][j], t.grad_biases[ly - 1][j]), t.new_biases[ly - 1][j]))
        rows += w.cut(w.sizes[ly], f"units of layer {ly}")
    return rows


def _after(w: Walkthrough, steps: int) -> list[str]:
    """E_total and outputs of step ``steps``, the state after that many updates (UPD-3, UPD-4)."""
    t = _run(w.case, steps, w.dps)
    samples = cases.batch_indices(w.case, steps)
    rows: list[Row] = [(f"  {w.n(f'out[{w.L}][{i},{j}]')}",
                        f"output; {w.n(f'y[{i},{j}]')} = {w.value(w.case['y'][i][j])}", o)
                       for s, i in enumerate(samples[:SHOW_SAMPLES])
                       for j, o in enumerate(t.outs[-1][s][:SHOW])]
    return ["", f"after {steps} update{'s' if steps > 1 else ''}: E_total = {w.fmt(t.loss)}",
            f"  (E_total of step {steps}, measured before update {steps + 1}: spec UPD-4)",
            *table(rows, w.fmt)]


def _run(case: Mapping[str, Any], steps: int, dps: int) -> Trace:
    """Step ``steps`` of the case's schedule (UPD-3), with a progress bar on a terminal's stderr."""
    if steps < PROGRESS_MIN or not sys.stderr.isatty():
        return run_case(case, dps, record=[steps])[steps][1]
    from tqdm import tqdm

    with tqdm(total=steps + 1, desc=case["case"], unit="step", file=sys.stderr, leave=False) as bar:
        return run_case(case, dps, record=[steps], on_step=lambda s, t: bar.update(1))[steps][1]
