"""The rows of ``bpspec explain``: one step of a case, every chain-rule factor named (spec CLI-2).

``Walkthrough`` names every quantity of step 0 the way seed 000 does: the forward pass (FWD-1,
FWD-2), the loss terms (LOSS-1..LOSS-4), each layer's dE/dout, dout/dnet, delta and dnet/dW and
their products (BWD-1..BWD-3, GRD-1, GRD-2) and the update (UPD-1, UPD-2), in the case's own names
(NOT-2, NOT-3). ``table`` lays rows out in columns, the values aligned on their decimal point.
"""

from __future__ import annotations

import itertools
import re
import textwrap
from collections.abc import Callable, Mapping
from typing import Any

from mpmath import mp

from bpspec import cases, contract
from bpspec.names import display
from bpspec.reference import Trace, trace

SHOW = 3             # units and inputs listed per layer before the listing is cut
SHOW_SAMPLES = 2     # samples listed per step before the listing is cut
SHOW_LAYERS = 6      # a deeper network shows layers 1 and 2 and its last three only
WIDTH = 100          # a formula that would push its value past this column puts it on the next line
LOSS_TERM = {"half_sse": "½({t} − {o})²", "sse": "({t} − {o})²", "mse": "({t} − {o})²/{n}"}
LOSS_GRAD = {"half_sse": "{o} − {t}", "sse": "2·({o} − {t})", "mse": "2/{n}·({o} − {t})"}
ACT_DERIV = {"sigmoid": "{o}·(1 − {o})", "tanh": "1 − {o}²", "identity": "1",
             "softplus": "sigmoid({n})", "relu": "1 if {n} > 0 else 0",
             "leaky_relu": "1 if {n} > 0 else slope"}
Row = tuple[str, str, Any] | str


def table(rows: list[Row], fmt: Callable[[Any], str]) -> list[str]:
    """``name = formula  value`` rows in columns, values aligned on the decimal point; a str row is
    a heading or note, printed as given."""
    cells = [r if isinstance(r, str) else (r[0], r[1], fmt(r[2])) for r in rows]
    data = [c for c in cells if not isinstance(c, str)]
    wn = max((len(c[0]) for c in data), default=0)
    wh = max((len(c[2].partition(".")[0]) for c in data), default=0)
    wv = wh + max((len(c[2].partition(".")[2]) + 1 for c in data), default=0)
    wf = max((len(c[1]) for c in data if len(c[1]) <= WIDTH - wn - wv - 5), default=0)
    out = []
    for c in cells:
        if isinstance(c, str):
            out.append(c)
            continue
        head, dot, tail = c[2].partition(".")
        left, value = f"{c[0]:<{wn}} = {c[1]}", head.rjust(wh) + dot + tail
        long = len(c[1]) > wf
        out += [left, " " * (wn + wf + 5) + value] if long else [f"{left:<{wn + wf + 3}}  {value}"]
    return [line.rstrip() for line in out]


def _sum(terms: list[str], what: str) -> str:
    joined = " + ".join(terms)
    return joined if len(terms) <= 3 and len(joined) <= 50 else f"sum of the {len(terms)} {what}"


def _pack(label: str, text: str, width: int = 96) -> list[str]:
    """``label  text``, the text wrapped after its commas and semicolons only."""
    lines, line = [], f"  {label:<12}"
    for item in re.split(r"(?<=[,;]) ", text):
        if len(line) + 1 + len(item) > width and len(line) > 15:
            lines, line = [*lines, line], " " * 14
        line += " " + item
    return [*lines, line]


def _runs(items: list[str]) -> str:
    """Items joined by commas, a run of more than three equal ones written once with its count."""
    runs = [(k, len(list(g))) for k, g in itertools.groupby(items)]
    return ", ".join(", ".join([k] * n) if n <= 3 else f"{k} ×{n}" for k, n in runs)


def _named(pairs: list[tuple[str, str]], total: int) -> str:
    return ", ".join([f"{n} = {v}" for n, v in pairs] + (["…"] if total > len(pairs) else []))


class Walkthrough:
    """Names and rows of step 0 of a case; ``ly`` is a layer number, 1 the first non-input one.

    Build and use it inside ``mp.workdps(dps)``: the inputs and the products it forms take the
    precision of the context.
    """

    def __init__(self, case: Mapping[str, Any], dps: int, digits: int) -> None:
        self.case, self.dps, self.digits, self.sizes = case, dps, digits, case["layer_sizes"]
        self.inp = cases.step_input(case, case["weights"], case["biases"], 0)
        self.t: Trace = trace(self.inp, dps)
        self.x = [[mp.mpf(v) for v in row] for row in self.inp["x"]]
        self.samples = cases.batch_indices(case, 0)
        self.conv, self.L, self.B = self.t.conventions, len(self.t.nets), len(self.samples)
        self.shown = range(min(self.B, SHOW_SAMPLES))
        self.frozen = self.conv["bias_update"] == "false"
        self.pre = self.conv["hidden_delta_weights"] == "pre_update"
        every = range(1, self.L + 1)
        self.layers = list(every) if self.L <= SHOW_LAYERS else [1, 2, *every[-3:]]

    def fmt(self, x: Any) -> str:
        return mp.nstr(x, self.digits)

    def n(self, name: str) -> str:
        return display(name, self.case.get("names"))

    def q(self, kind: str, s: int, j: int, ly: int | None = None) -> str:
        """The name of net/out of layer ly (x at layer 0), or of y/E_term, for step sample s."""
        at = f"[{self.samples[s]},{j}]"
        return self.n(f"x{at}" if ly == 0 else f"{kind}{at}" if ly is None else f"{kind}[{ly}]{at}")

    def units(self, ly: int) -> range:
        return range(min(self.sizes[ly], SHOW))

    def gap(self, a: int, b: int) -> list[Row]:
        """A note for the layers strictly between shown layers a and b."""
        lo, hi = min(a, b) + 1, max(a, b) - 1
        return [] if lo > hi else [f"  … layers {lo}..{hi} not shown"]

    def value(self, text: str) -> str:
        """A number as the case writes it, shortened to the digits shown when it is long."""
        return text if len(text) <= self.digits + 4 else self.fmt(mp.mpf(text))

    def cut(self, total: int, what: str, indent: str = "  ", show: int = SHOW) -> list[Row]:
        return [f"{indent}… and {total - show} more of the {total} {what}, not shown"] \
            if total > show else []

    def header(self) -> list[str]:
        c, conv = self.case, self.conv
        hdw, bias = conv["hidden_delta_weights"], conv["bias_update"]
        sizes = "-".join(map(str, self.sizes)) if self.L <= 8 else \
            "-".join(map(str, [*self.sizes[:3], "…", *self.sizes[-2:]])) + f" ({self.L} layers)"
        info = [("case", f"{c['case']}; suite {c['suite']}"), ("description", c["description"]),
                ("source", c["source"]),
                ("network", f"{sizes}; {_runs(c['activations'])}; "
                            f"loss {c['loss']}, reduction {c['reduction']}; "
                            f"η = {c['learning_rate']}"),
                ("step 0", f"update 1 of {c['steps']}, on {self.B} of {len(c['x'])} samples"),
                ("conventions", f"hidden deltas via {hdw.split('_')[0]}-update weights "
                                f"(hidden_delta_weights = {hdw}, CNV-1)"),
                ("", f"biases {'frozen' if self.frozen else 'updated'} (bias_update = {bias}, "
                     f"CNV-2); mse_grad_factor = {conv['mse_grad_factor']} (CNV-3)"),
                ("", "a named variant (CNV-4), not the conforming method"
                     if contract.is_variant(conv) else "all conforming (CNV-4)"),
                ("precision", f"{self.dps} working digits, {self.digits} significant digits shown")]
        wrap = textwrap.TextWrapper(width=96, initial_indent="  ", subsequent_indent=" " * 15)
        prose = ("description", "source")
        return ["bpspec explain: step 0 of a case, every chain-rule factor named",
                *(line for k, v in info
                  for line in (wrap.wrap(f"{k:<12} {v}") if k in prose else _pack(k, v)))]

    def given(self) -> list[str]:
        """The inputs, targets and initial parameters of step 0, as the case writes them."""
        c, rows = self.case, []
        for s in self.shown:
            i = self.samples[s]
            xs = [(self.q("x", s, k, 0), self.value(c["x"][i][k])) for k in self.units(0)]
            ys = [(self.q("y", s, j), self.value(c["y"][i][j])) for j in self.units(self.L)]
            rows.append((f"sample {i}", f"{_named(xs, self.sizes[0])}; {_named(ys, self.sizes[-1])}"))
        if len(self.shown) < self.B:
            rows.append(("", f"… and {self.B - len(self.shown)} more samples in this step"))
        for prev, ly in zip([0, *self.layers], self.layers, strict=False):
            rows += [("", note.strip()) for note in self.gap(prev, ly)]
            ws = [(self.n(f"W[{ly}][{j},{k}]"), self.value(c["weights"][ly - 1][j][k]))
                  for j in self.units(ly) for k in self.units(ly - 1)]
            bs = [(self.n(f"b[{ly}][{j}]"), self.value(c["biases"][ly - 1][j])) for j in self.units(ly)]
            rows.append((f"layer {ly}", f"{_named(ws, self.sizes[ly] * self.sizes[ly - 1])}; "
                                        f"{_named(bs, self.sizes[ly])}"))
        return [line for label, text in rows for line in _pack(label, text)]

    def forward(self) -> list[Row]:
        t, rows = self.t, []
        for s in self.shown:
            for prev, ly in zip([0, *self.layers], self.layers, strict=False):
                rows += self.gap(prev, ly)
                for j in self.units(ly):
                    b, act = self.n(f"b[{ly}][{j}]"), self.case["activations"][ly - 1]
                    terms = [f"{self.n(f'W[{ly}][{j},{k}]')}·{self.q('out', s, k, ly - 1)}"
                             for k in range(self.sizes[ly - 1])]
                    form = " + ".join([*(terms if len(terms) <= 3 else [terms[0], "…", terms[-1]]), b])
                    if len(form) > 50:
                        form = f"W[{ly}][{j},:]·{'x' if ly == 1 else f'out[{ly - 1}]'}" \
                               f"[{self.samples[s]},:] + {b}"
                    net = self.q("net", s, j, ly)
                    rows += [(f"  {net}", form, t.nets[ly - 1][s][j]),
                             (f"  {self.q('out', s, j, ly)}", f"{act}({net})", t.outs[ly - 1][s][j])]
                rows += self.cut(self.sizes[ly], f"units of layer {ly}")
        return rows + self.cut(self.B, "samples", show=SHOW_SAMPLES)

    def loss(self) -> list[Row]:
        rows, n_out, form = [], self.sizes[-1], LOSS_TERM[self.case["loss"]]
        for s in self.shown:
            rows += [(f"  {self.q('E_term', s, j)}",
                      form.format(t=self.q("y", s, j), o=self.q("out", s, j, self.L), n=n_out),
                      self.t.loss_terms[s][j]) for j in self.units(self.L)]
        terms = [self.q("E_term", s, j) for s in range(self.B) for j in range(n_out)]
        mean = f", / {self.B}" if self.case["reduction"] == "mean" and self.B > 1 else ""
        return [*rows, ("  E_total", _sum(terms, "terms") + mean, self.t.loss)]

    def layer(self, ly: int) -> list[Row]:
        """Every factor of layer ly's gradients and updates, unit by unit (BWD, GRD, UPD)."""
        t, k0, B, rows = self.t, ly - 1, self.B, []
        for j in self.units(ly):
            rows += [""] if j else []
            for s in self.shown:
                out, net = self.q("out", s, j, ly), self.q("net", s, j, ly)
                form = ACT_DERIV[self.case["activations"][k0]].format(o=out, n=net)
                rows += [*self.dE_dout(ly, s, j), (f"  d{out}/d{net}", form, t.dout_dnets[k0][s][j]),
                         (f"  dE_total/d{net}", f"dE_total/d{out} · d{out}/d{net} (delta)",
                          t.deltas[k0][s][j])]
            rows += self.cut(B, f"samples of unit {j}", show=SHOW_SAMPLES)
            chain = [f"dE_total/d{out}", f"d{out}/d{net}"]
            params = [(self.n(f"W[{ly}][{j},{k}]"), k) for k in self.units(ly - 1)]
            for p, k in [*params, (self.n(f"b[{ly}][{j}]"), None)]:
                rows += [(f"    d{self.q('net', s, j, ly)}/d{p}", "1", mp.one) if k is None else
                         (f"    d{self.q('net', s, j, ly)}/d{p}", self.q("out", s, k, ly - 1),
                          self.x[s][k] if ly == 1 else t.outs[k0 - 1][s][k]) for s in self.shown]
                form = " · ".join([*chain, f"d{net}/d{p}"])
                form = form if B == 1 and len(form) <= 60 else \
                    (f"Σ over {B} samples of " if B > 1 else "") + f"dE/dout · dout/dnet · dnet/d{p}"
                new = f"{p}, frozen (bias_update = false)" if k is None and self.frozen else \
                    f"{p} − η·dE_total/d{p}"
                grad, value = (t.grad_biases[k0][j], t.new_biases[k0][j]) if k is None else \
                    (t.grad_weights[k0][j][k], t.new_weights[k0][j][k])
                rows += [(f"    dE_total/d{p}", form, grad), (f"    new {p}", new, value)]
                rows += self.cut(self.sizes[ly - 1], f"inputs of unit {j}", "    ") \
                    if k == params[-1][1] else []
        return rows + self.cut(self.sizes[ly], f"units of layer {ly}")

    def dE_dout(self, ly: int, s: int, j: int) -> list[Row]:
        """dE_total/dout of a unit: from the loss at the output layer (BWD-1), else summed over the
        units of the next layer through their deltas and weights (BWD-3, seed 002 eq. 1.8)."""
        t, out, loss = self.t, self.q("out", s, j, ly), self.case["loss"]
        if ly == self.L:
            variant = loss == "mse" and self.conv["mse_grad_factor"] == "1"
            form = LOSS_GRAD["half_sse" if variant else loss].format(
                o=out, t=self.q("y", s, j), n=self.sizes[-1])
            form = f"({form})/{self.B}" if self.case["reduction"] == "mean" and self.B > 1 else form
            return [(f"  dE_total/d{out}", form, t.dE_douts[ly - 1][s][j])]
        rows, parts = [], []
        per_term = ly + 1 == self.L and self.case["reduction"] == "sum"
        for m in range(self.sizes[ly + 1]):
            o_m, net_m = self.q("out", s, m, ly + 1), self.q("net", s, m, ly + 1)
            err = self.q("E_term", s, m) if per_term else "E_total"
            parts.append(f"d{err}/d{out}" if per_term else f"via {net_m}")
            if m < SHOW:
                w = self.n(f"W[{ly + 1}][{m},{j}]")
                w = f"{w} (pre-update)" if self.pre else f"new {w} (post_update variant)"
                d, wt = t.deltas[ly][s][m], t.delta_weights[ly][m][j]
                rows += [(f"  d{err}/d{net_m}", f"d{err}/d{o_m} · d{o_m}/d{net_m}", d),
                         (f"  d{net_m}/d{out}", w, wt),
                         (f"  {parts[-1]}", f"d{err}/d{net_m} · d{net_m}/d{out}", d * wt)]
        rows += self.cut(self.sizes[ly + 1], f"units of layer {ly + 1}")
        total = _sum(parts, "terms above")
        return [*rows, (f"  dE_total/d{out}", total, t.dE_douts[ly - 1][s][j])]
