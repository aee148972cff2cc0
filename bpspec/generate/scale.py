"""Each value's error scale: the same step computed on magnitudes (spec TOL-4).

Rounding every operation of a step with relative error u perturbs each result by at most about
u * scale, where scale is the step recomputed with every quantity replaced by its first-order error
magnitude (Higham's componentwise analysis): a sum of products a*b contributes |a|*mag(b) + mag(a)*|b|,
and every result adds its own |value| for its own rounding. Cancellation shows here and nowhere else:
(out - y) near convergence, or a gradient summed over samples of both signs, has a scale far above
its value. The checker's tolerance is rtol * scale (TOL-1), so an ill-conditioned value is allowed
the error any correct implementation makes, and a well-conditioned one no more.

The activation's second derivative enters through f'(net); for every activation of the spec
|f''| <= 2|f'|, so mag(f') = 2 |f'| mag(net) + |f'|. Plain Python floats in a fixed order keep the
result identical on every IEEE machine (VEC-3).
"""

from __future__ import annotations

from bpspec.reference import Trace

HUGE = 1.7e308


def _f(x) -> float:
    v = abs(float(x))
    return v if v < HUGE else HUGE


def _c(v: float) -> float:
    """Clamp a magnitude to the float64 range; an overflow (inf, or inf * 0 = nan) becomes HUGE."""
    return v if v < HUGE else HUGE


def _fm(m) -> list[list[float]]:
    return [[_f(v) for v in row] for row in m]


def _dot_mag(a: list[float], ma: list[float], b: list[float], mb: list[float]) -> float:
    total = 0.0
    for x, mx, y, my in zip(a, ma, b, mb, strict=True):
        total += mx * y + x * my
    return _c(total)


class ParameterDrift:
    """The running error scale of the parameters along a trajectory (TOL-4, TOL-5).

    A parameter after s updates is W_0 - eta * sum of s gradients; a free-running implementation
    carries the rounding of every term, so its scale is |W_0| + eta * sum of |grad|, which can
    be far above |W_s| once the updates have cancelled most of W_0.
    """

    def __init__(self, case: dict) -> None:
        self.record = set(case["record"])
        self.eta = abs(float(case["learning_rate"]))
        self.weights = [[[_f(v) for v in row] for row in w] for w in case["weights"]]
        self.biases = [[_f(v) for v in b] for b in case["biases"]]
        self.update_bias = case["conventions"].get("bias_update", "true") == "true"
        self.at: dict[int, tuple[list, list]] = {}

    def update(self, s: int, t: Trace) -> None:
        if s in self.record:
            self.at[s] = ([[row[:] for row in w] for w in self.weights], [b[:] for b in self.biases])
        for w, g in zip(self.weights, t.grad_weights, strict=True):
            for w_row, g_row in zip(w, g, strict=True):
                for k, gv in enumerate(g_row):
                    w_row[k] = min(w_row[k] + self.eta * _f(gv), HUGE)
        if self.update_bias:
            for b, g in zip(self.biases, t.grad_biases, strict=True):
                for j, gv in enumerate(g):
                    b[j] = min(b[j] + self.eta * _f(gv), HUGE)


def scales(case: dict, t: Trace, drift: tuple[list, list] | None = None) -> dict[str, float]:
    """Systematic name -> error scale of every graded value of one step (TOL-4). ``drift`` gives the
    parameters' running scales at a later step of a trajectory; they replace |W| and |b| as the
    parameters' error magnitudes, so one scale serves the single-step and free-running checks (TOL-5)."""
    L = len(t.nets)
    reduction = 1.0 if case["reduction"] == "sum" else 1.0 / len(t.x)
    eta = abs(float(case["learning_rate"]))
    ws, bs = [_fm(w) for w in t.weights], [[_f(v) for v in b] for b in t.biases]
    m_ws, m_bs = drift if drift else (ws, bs)
    outs = [_fm(o) for o in t.outs]
    derivs, deltas = [_fm(d) for d in t.dout_dnets], [_fm(d) for d in t.deltas]
    grads = [_fm(g) for g in t.dE_douts]
    terms = _fm(t.loss_terms)
    x = _fm(t.x)
    out: dict[str, float] = {}

    def put(name: str, m: list[list[float]]) -> None:
        for i, row in enumerate(m):
            for j, v in enumerate(row):
                out[f"{name}[{i},{j}]"] = _c(v)

    m_a = x
    m_nets, m_outs = [], []
    for l in range(L):
        m_net = [[_c(_dot_mag(w_row, mw_row, a, ma) + b + mb)
                  for w_row, mw_row, b, mb in zip(ws[l], m_ws[l], bs[l], m_bs[l], strict=True)]
                 for a, ma in zip((x if l == 0 else outs[l - 1]), m_a, strict=True)]
        m_out = [[_c(d * mn + o) for d, mn, o in zip(dr, mr, orow, strict=True)]
                 for dr, mr, orow in zip(derivs[l], m_net, outs[l], strict=True)]
        put(f"net[{l + 1}]", m_net)
        put(f"out[{l + 1}]", m_out)
        m_nets.append(m_net)
        m_outs.append(m_out)
        m_a = m_out
    y = _fm(t.y)
    c = {"half_sse": 1.0, "sse": 2.0, "mse": 2.0 / len(y[0])}[case["loss"]]
    c_grad = (1.0 if t.conventions["mse_grad_factor"] == "1" and case["loss"] == "mse" else c) * reduction
    miss = [[_f(o - t_) for o, t_ in zip(orow, trow, strict=True)] for orow, trow in zip(t.outs[L - 1], t.y,
                                                                                          strict=True)]
    e_mag = sum(c * d * mo + term for drow, mrow, trow in zip(miss, m_outs[L - 1], terms, strict=True)
                for d, mo, term in zip(drow, mrow, trow, strict=True)) * reduction
    out["E_total"] = _c(_c(e_mag) + _f(t.loss))
    m_delta_next = None
    for l in reversed(range(L)):
        if l == L - 1:
            m_g = [[_c(c_grad * (mo + t_) + g) for g, mo, t_ in zip(grow, mrow, trow, strict=True)]
                   for grow, mrow, trow in zip(grads[l], m_outs[l], y, strict=True)]
        else:
            cols, m_cols = list(zip(*ws[l + 1], strict=True)), list(zip(*m_ws[l + 1], strict=True))
            m_g = [[_dot_mag(list(col), list(m_col), d, md) for col, m_col in zip(cols, m_cols, strict=True)]
                   for d, md in zip(deltas[l + 1], m_delta_next, strict=True)]
        m_delta = [[_c(d * mg + 2 * g * d * mn + dl)
                    for d, mg, g, mn, dl in zip(dr, mgr, gr, mnr, dlr, strict=True)]
                   for dr, mgr, gr, mnr, dlr in zip(derivs[l], m_g, grads[l], m_nets[l], deltas[l],
                                                     strict=True)]
        put(f"delta[{l + 1}]", m_delta)
        a, m_a = (x, x) if l == 0 else (outs[l - 1], m_outs[l - 1])
        for j in range(len(ws[l])):
            grad_b = _c(sum(m_delta[s][j] for s in range(len(m_delta))))
            out[f"grad_b[{l + 1}][{j}]"] = grad_b
            out[f"new_b[{l + 1}][{j}]"] = _c(m_bs[l][j] + eta * grad_b)
            for k in range(len(ws[l][j])):
                g = _c(sum(m_delta[s][j] * a[s][k] + deltas[l][s][j] * m_a[s][k]
                           for s in range(len(m_delta))))
                out[f"grad_W[{l + 1}][{j},{k}]"] = g
                out[f"new_W[{l + 1}][{j},{k}]"] = _c(m_ws[l][j][k] + eta * g)
                out[f"W[{l + 1}][{j},{k}]"] = m_ws[l][j][k]
            out[f"b[{l + 1}][{j}]"] = m_bs[l][j]
        m_delta_next = m_delta
    return out
