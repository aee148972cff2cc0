"""Value names of the vectors: the systematic notation and a case's seed aliases (spec NOT-2, NOT-3).

Systematic names index layers from 1 (the first non-input layer) and samples and units from 0:
``net[l][s,j]``, ``out[l][s,j]``, ``delta[l][s,j]``, ``W[l][j,k]``, ``b[l][j]``, ``grad_W[l][j,k]``,
``new_b[l][j]``, ``E_term[s,j]``, ``E_total``; chain-rule factors compose them, e.g.
``dout[2][0,0]/dnet[2][0,0]``. A case's ``names`` map renames the base tokens, and every composite
follows: with ``out[2][0,0] -> out_o1`` and ``net[2][0,0] -> net_o1`` the factor above reads
``dout_o1/dnet_o1``, exactly as seed 000 writes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

TOKEN = re.compile(r"(?<![A-Za-z0-9])(d?)((?:net|out|W|b|E_term|x|y)(?:\[[0-9]+\])?\[[0-9]+(?:,[0-9]+)?\])")
SYSTEMATIC = re.compile(
    r"^(?P<quantity>net|out|delta|W|b|grad_W|grad_b|new_W|new_b)\[(?P<layer>[1-9][0-9]*)\]"
    r"\[(?P<i>[0-9]+)(?:,(?P<j>[0-9]+))?\]$"
)


def display(name: str, aliases: Mapping[str, str] | None) -> str:
    """The name as written in the vectors: every base token replaced by its alias, if it has one."""
    if not aliases:
        return name

    def swap(m: re.Match) -> str:
        return m.group(1) + aliases.get(m.group(2), m.group(2))

    return TOKEN.sub(swap, name)


def parse(name: str) -> tuple[str, int, tuple[int, ...]] | None:
    """``(quantity, layer, index)`` of a systematic per-layer name, ``("E_total", 0, ())`` for the loss,
    or ``None`` for names no adapter output corresponds to (chain factors, loss terms)."""
    if name == "E_total":
        return ("E_total", 0, ())
    m = SYSTEMATIC.match(name)
    if not m:
        return None
    index = (int(m["i"]),) if m["j"] is None else (int(m["i"]), int(m["j"]))
    return (m["quantity"], int(m["layer"]), index)


_NUMBER_LIMIT = 2**62
"""Layer and index numbers beyond this are held as this: far outside any case, never wrapped."""


def parse_all(names: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Quantity, layer, ``i`` and ``j`` of every name (NOT-2): a systematic per-layer name by its parts,
    ``E_total`` as the loss, any other name as quantity '' (layer 0, ``i`` 0); ``j`` is -1 where the
    name has one index. Each distinct name is parsed once, since most repeat across cases."""
    codes, distinct = pd.factorize(names.to_numpy(dtype=object))
    parsed = [_parts(n) for n in distinct] or [("", 0, 0, -1)]
    quantity, layer, i, j = zip(*parsed, strict=True)
    numbers = (np.array(a, dtype=np.int64)[codes] for a in (layer, i, j))
    return (np.array(quantity, dtype=object)[codes], *numbers)


def _parts(name: str) -> tuple[str, int, int, int]:
    if name == "E_total":
        return "E_total", 0, 0, -1
    m = SYSTEMATIC.match(name)
    if not m:
        return "", 0, 0, -1
    quantity, layer, i, j = m.groups()
    return (quantity, min(int(layer), _NUMBER_LIMIT), min(int(i), _NUMBER_LIMIT),
            -1 if j is None else min(int(j), _NUMBER_LIMIT))
