"""Value names, case limits and seed 004's relu trap (NOT-2, NOT-3, CASE-3, ERR-3, ACT-3)."""

from __future__ import annotations

import pytest
from mpmath import mp

from bpspec.cases import MAX_STEPS, CaseError, validate
from bpspec.names import display, parse
from bpspec.reference.activations import relu


@pytest.mark.parametrize(("name", "parsed"), [
    ("net[1][0,2]", ("net", 1, (0, 2))), ("grad_b[3][4]", ("grad_b", 3, (4,))),
    ("new_W[2][1,0]", ("new_W", 2, (1, 0))), ("E_total", ("E_total", 0, ())),
    ("dE/dW[2][0,0]", None), ("E_term[0,1]", None),
])
def test_systematic_names_parse(name, parsed):
    """Systematic names carry quantity, layer (from 1) and index; chain factors are not outputs (NOT-2)."""
    assert parse(name) == parsed


def test_aliases_rename_composites():
    """A case's names map renames every base token inside composite names (NOT-3)."""
    aliases = {"out[2][0,0]": "out_o1", "net[2][0,0]": "net_o1", "W[2][0,0]": "w5"}
    assert display("dout[2][0,0]/dnet[2][0,0]", aliases) == "dout_o1/dnet_o1"
    assert display("new_W[2][0,0]", aliases) == "new_w5"
    assert display("dE/dW[2][0,0]", aliases) == "dE/dw5"


def test_steps_are_bounded(seed_case):
    """A case may not ask for more than MAX_STEPS updates (CASE-3)."""
    case = seed_case("seed003_1_1_1")
    validate(case)
    with pytest.raises(CaseError, match="steps"):
        validate({**case, "steps": MAX_STEPS + 1})


def seed_004_relu_diff(x):
    """Seed 004's ReLU.diff: positive entries become 1, the others are left as they are."""
    return mp.one if x > 0 else x


@pytest.mark.parametrize("net", ["-0.5", "-2", "0", "0.75"])
def test_seed_004_relu_diff_is_right_on_out_and_wrong_on_net(net):
    """Handed out (never negative) seed 004's diff agrees with relu'; handed a negative net it returns
    the net itself instead of 0 (ERR-3, ACT-3)."""
    with mp.workdps(30):
        net = mp.mpf(net)
        out = relu.forward(net, {})
        assert seed_004_relu_diff(out) == relu.derivative(net, out, {})
        if net < 0:
            assert seed_004_relu_diff(net) != relu.derivative(net, out, {})
