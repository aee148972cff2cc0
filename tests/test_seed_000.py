"""Seed 000's published figures, reproduced by the reference (ERR-1, ERR-4, FWD-1, BWD-3, UPD-1).

The published figures are the independent check, so they are written out here; the reference must
meet each within one unit of its last printed digit.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from mpmath import mp

from bpspec.reference import run_case, trace


def close_to_printed(value, printed: str) -> bool:
    """|value - printed| <= one unit in the last printed digit."""
    unit = Decimal(1).scaleb(Decimal(printed).as_tuple().exponent)
    with mp.workdps(50):
        return abs(value - mp.mpf(printed)) <= mp.mpf(str(unit))


def first_step(case: dict):
    t = trace({**case, "x": case["x"], "y": case["y"]}, 50)
    w_in, w_out = t.delta_weights[1], t.weights[1]
    with mp.workdps(50):
        return {
            "net_h1": t.nets[0][0][0], "out_h1": t.outs[0][0][0], "out_h2": t.outs[0][0][1],
            "out_o1": t.outs[1][0][0], "out_o2": t.outs[1][0][1],
            "E_o1": t.loss_terms[0][0], "E_o2": t.loss_terms[0][1], "E_total": t.loss,
            "dE/dout_o1": t.dE_douts[1][0][0], "dout_o1/dnet_o1": t.dout_dnets[1][0][0],
            "dnet_o1/dw5": t.outs[0][0][0], "dE/dw5": t.grad_weights[1][0][0],
            "w5": t.new_weights[1][0][0], "w6": t.new_weights[1][0][1],
            "w7": t.new_weights[1][1][0], "w8": t.new_weights[1][1][1],
            "dE_o1/dnet_o1": t.deltas[1][0][0],
            "dE_o1/dout_h1": t.deltas[1][0][0] * w_in[0][0],
            "dE_o2/dout_h1": t.deltas[1][0][1] * w_in[1][0],
            "dE/dout_h1": t.dE_douts[0][0][0], "dout_h1/dnet_h1": t.dout_dnets[0][0][0],
            "dE/dw1": t.grad_weights[0][0][0],
            "w1": t.new_weights[0][0][0], "w2": t.new_weights[0][0][1],
            "w3": t.new_weights[0][1][0], "w4": t.new_weights[0][1][1],
            "w5_before": w_out[0][0],
        }


PUBLISHED = [
    ("net_h1", "0.3775"), ("out_h1", "0.593269992"), ("out_h2", "0.596884378"),
    ("out_o1", "0.75136507"), ("out_o2", "0.772928465"), ("E_o1", "0.274811083"),
    ("E_o2", "0.023560026"), ("E_total", "0.298371109"), ("dE/dout_o1", "0.74136507"),
    ("dout_o1/dnet_o1", "0.186815602"), ("dnet_o1/dw5", "0.593269992"), ("dE/dw5", "0.082167041"),
    ("w5", "0.35891648"), ("w6", "0.408666186"), ("w7", "0.511301270"), ("w8", "0.561370121"),
    ("dE_o1/dnet_o1", "0.138498562"), ("dE_o1/dout_h1", "0.055399425"),
    ("dE_o2/dout_h1", "-0.019049119"), ("dE/dout_h1", "0.036350306"),
    ("dout_h1/dnet_h1", "0.241300709"), ("dE/dw1", "0.000438568"), ("w1", "0.149780716"),
    ("w2", "0.19956143"), ("w3", "0.24975114"), ("w4", "0.29950229"),
]


@pytest.fixture(scope="module")
def worked(seed_case) -> dict:
    return first_step(seed_case("mazur_2_2_2"))


def test_published_list_is_complete():
    """SEEDS.md lists 26 worked figures for seed 000."""
    assert len(PUBLISHED) == 26


@pytest.mark.parametrize(("name", "printed"), PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_worked_figure(worked, name, printed):
    """Each worked figure of the first update, conforming convention (FWD-1, FWD-2, ACT-1, LOSS-1,
    BWD-1, BWD-2, BWD-3, GRD-1, UPD-1, CNV-2)."""
    assert close_to_printed(worked[name], printed), (name, worked[name], printed)


@pytest.fixture(scope="module")
def trajectories(seed_case) -> dict:
    out = {}
    for name in ("mazur_2_2_2", "mazur_2_2_2_post_update"):
        out[name] = run_case(seed_case(name), 50, record=[1, 9999, 10000])
    return out


@pytest.mark.parametrize(("case", "step", "quantity", "printed"), [
    ("mazur_2_2_2_post_update", 1, "E_total", "0.291027924"),
    ("mazur_2_2_2_post_update", 10000, "E_total", "0.000035085"),
    ("mazur_2_2_2_post_update", 10000, "out_o1", "0.015912196"),
    ("mazur_2_2_2_post_update", 10000, "out_o2", "0.984065734"),
    ("mazur_2_2_2", 1, "E_total", "0.2910277737"),
    ("mazur_2_2_2", 10000, "E_total", "0.0000351019"),
    ("mazur_2_2_2", 10000, "out_o1", "0.01591362"),
    ("mazur_2_2_2", 10000, "out_o2", "0.98406427"),
    ("mazur_2_2_2", 9999, "E_total", "0.0000351085"),
])
def test_summary_figure(trajectories, case, step, quantity, printed):
    """The four summary figures arise from post_update hidden deltas (ERR-1, CNV-1); the conforming
    run gives 0.2910277737 and 3.51019e-5 (UPD-4); 0.0000351085 is the error before the 10,000th
    update (ERR-4)."""
    t = trajectories[case][step][1]
    value = {"E_total": t.loss, "out_o1": t.outs[1][0][0], "out_o2": t.outs[1][0][1]}[quantity]
    assert close_to_printed(value, printed), (case, step, quantity, value)


def test_conforming_and_post_update_differ(trajectories):
    """The two conventions part at the first hidden delta, so the summary figures tell them apart (CNV-1)."""
    a = trajectories["mazur_2_2_2"][1][1].loss
    b = trajectories["mazur_2_2_2_post_update"][1][1].loss
    assert not close_to_printed(a, "0.291027924") and close_to_printed(b, "0.291027924")
