"""A formula's Python statements made ready for the straight-line kernel (spec ACT-1 .. ACT-6,
LOSS-1 .. LOSS-3).

Each activation module's ``scalar_source(params)`` and each loss module's
``scalar_source(conventions)`` give their formulas on one scalar as statements (``net`` to ``out``
and ``deriv``; ``out``, ``target``, ``n_out`` to ``term`` and ``grad``). ``Source.formula`` renames
those inputs and outputs to a unit's variables of ``bpspec.impl.kernel``'s generated code, and in
float32 rewrites the statements for NumPy float32 scalars without changing a bit: every number a
float32 constant made once (an operation with a Python number converts it every time, which costs
half as much again), and each elementary function's double rounded once to float32 by
``f32_1_0 * exp(...)`` (NumPy converts the double correctly rounded; the product with one is exact;
a quarter of the cost of ``np.float32(v)``). ``activation_formula`` and ``loss_formula`` compile a
formula alone, as a function, for the tests to hold against the array forms and ``term``/``grad``.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from functools import cache
from itertools import cycle, islice
from typing import Any

import numpy as np

from bpspec.impl.activations import ACTIVATIONS
from bpspec.impl.losses import LOSSES

#: the elementary functions a formula may call: math's, rounded once to float32 in float32
ELEMENTARY: dict[str, Callable[[float], float]] = {"exp": math.exp, "log1p": math.log1p, "tanh": math.tanh}

#: names of the kernel's generated code that a formula's temporaries must not take
_RESERVED = frozenset({"p", "x", "y", "eta", "data", "steps", "losses", "E_total", "cycle", "islice",
                       "kernel", "run", "formula", *ELEMENTARY})



class Source:
    """Source being written for one dtype: the formulas' statements and the numbers, as float64
    literals, or in float32 as float32 constants named after their value (``f32_1_0``), kept to be
    defined once."""

    def __init__(self, dtype: str) -> None:
        self.dtype = dtype
        self.constants: dict[str, float] = {}

    def number(self, value: float) -> str:
        """A number in the source: its literal, or the name of its float32 constant."""
        if self.dtype == "float64":
            return repr(value)
        value = float(value)
        name = "f32_" + repr(value).replace("-", "m").replace(".", "_").replace("+", "")
        self.constants[name] = value
        return name

    def formula(self, text: str, names: Mapping[str, str | int]) -> list[str]:
        """A formula's statements with its inputs and outputs renamed to the kernel's variables (or
        replaced by a number); its temporaries keep their names."""
        template, constants = _template(text, tuple(sorted(names)), self.dtype)
        self.constants.update(constants)
        slots = {k: v if isinstance(v, str) else self.number(v) for k, v in names.items()}
        return template.format_map(slots).splitlines()

    def compile(self, lines: list[str], filename: str) -> dict[str, Any]:
        """The functions the lines define, each keeping the source as ``__source__``."""
        header = [f"# {name} = float32({value!r})" for name, value in sorted(self.constants.items())]
        source = "\n".join(header + lines) + "\n"
        namespace: dict[str, Any] = {**ELEMENTARY, "cycle": cycle, "islice": islice,
                                     **{name: np.float32(v) for name, v in self.constants.items()}}
        exec(compile(source, filename, "exec"), namespace)
        for value in list(namespace.values()):
            if getattr(value, "__code__", None) is not None and value.__code__.co_filename == filename:
                value.__source__ = source
        return namespace


@cache
def _template(text: str, slots: tuple[str, ...], dtype: str) -> tuple[str, tuple[tuple[str, float], ...]]:
    """A formula as a ``str.format`` template with a field for each of its inputs and outputs
    (``slots``), and in float32 its rewrite: every number a float32 constant, every elementary
    function's double rounded to float32 by ``f32_1_0 * ...``. Made once per formula."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) not in (int, float):
            raise ValueError(f"a formula holds the constant {node.value!r}; only numbers are written out")
        if isinstance(node, ast.Name) and node.id not in slots and isinstance(node.ctx, ast.Store) \
                and (node.id in _RESERVED or any(c.isdigit() for c in node.id)):
            raise ValueError(f"a formula's temporary {node.id!r} would clash with the kernel's names")
    source = Source(dtype)
    if dtype == "float32":
        text = ast.unparse(_Float32(source).visit(tree)) + "\n"
    text = text.replace("{", "{{").replace("}", "}}")
    fields = re.sub(r"(?<![\w.])(" + "|".join(slots) + r")(?!\w)", r"{\1}", text)
    return fields, tuple(source.constants.items())


class _Float32(ast.NodeTransformer):
    """A formula for float32 scalars: its numbers float32 constants, made once instead of converted
    by each operation; math's doubles rounded once to float32 by multiplying with float32 one."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def constant(self, value: float) -> ast.Name:
        return ast.Name(self.source.number(value), ast.Load())

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return self.constant(node.value)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return self.constant(-node.operand.value)
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in ELEMENTARY:
            return ast.BinOp(self.constant(1.0), ast.Mult(), node)
        return node


def activation_formula(name: str, params: Mapping[str, Any], dtype: str = "float64"
                       ) -> Callable[[Any], tuple[Any, Any]]:
    """``net -> (out, deriv)``: the activation's ``scalar_source`` written out and compiled as the
    kernel does it per unit (ACT-1 .. ACT-6)."""
    source, names = Source(dtype), {"net": "net", "out": "out", "deriv": "deriv"}
    lines = source.formula(ACTIVATIONS[name].scalar_source(params), names)
    return _function(source, "net", lines, "out, deriv")


def loss_formula(name: str, conventions: Mapping[str, str], n_out: int, dtype: str = "float64"
                 ) -> Callable[[Any, Any], tuple[Any, Any]]:
    """``(out, target) -> (term, grad)``: the loss's ``scalar_source`` written out and compiled as the
    kernel does it per output; bit for bit the module's ``term`` and ``grad`` (LOSS-1 .. LOSS-3)."""
    source = Source(dtype)
    names = {"out": "out", "target": "target", "n_out": n_out, "term": "term", "grad": "grad"}
    lines = source.formula(LOSSES[name].scalar_source(conventions), names)
    return _function(source, "out, target", lines, "term, grad")


def _function(source: Source, args: str, lines: list[str], result: str) -> Callable[..., Any]:
    lines = [f"def formula({args}):", *(f"    {line}" for line in lines), f"    return {result}"]
    return source.compile(lines, f"<bpspec formula {source.dtype}>")["formula"]
