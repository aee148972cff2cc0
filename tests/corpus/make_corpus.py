"""Write the bad-input corpus: ``base/`` (a tiny valid vector set, results file and export) and one
malformed file per entry of ``ENTRIES``, with ``expected.csv`` listing what each must produce (CLI-1).

Run ``python tests/corpus/make_corpus.py`` after changing this file; ``tests/test_bad_input.py``
feeds every file through the command line and ``docs/bad-input.md`` is checked against
``expected.csv``. The corpus is data: the test never builds a bad input itself.

Each entry: file name, kind (how the test feeds it, see ``tests/test_bad_input.py``), class of bad
input, what is wrong, the bytes, where the message must point (the text right after the file name:
``:LINE:`` or the case and field) and a fragment of the problem it must state; ``huge`` marks the
entries whose declared sizes must be refused before anything is allocated.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = HERE / "base"
SUITE = "tiny"

TINY = {
    "case": "tiny_case", "suite": SUITE,
    "description": "2-2-1 sigmoid / identity network, batch 2, two recorded steps: the bad-input "
                   "corpus's base",
    "source": "bpspec tests (tests/corpus/make_corpus.py)",
    "spec_ids": ["FWD-1", "FWD-2", "ACT-1", "ACT-4", "LOSS-1", "LOSS-4", "BWD-1", "BWD-2", "BWD-3",
                 "GRD-1", "GRD-2", "UPD-1", "UPD-2"],
    "layer_sizes": [2, 2, 1], "activations": ["sigmoid", "identity"], "activation_params": {},
    "loss": "half_sse", "reduction": "sum", "learning_rate": "0.5", "conventions": {},
    "x": [["0.5", "-0.25"], ["1", "0.75"]], "y": [["0.5"], ["-0.5"]],
    "weights": [[["0.25", "-0.5"], ["0.75", "0.125"]], [["0.5", "-0.25"]]],
    "biases": [["0.125", "-0.25"], ["0.0625"]],
    "steps": 2, "batches": None, "record": [0, 1], "dtypes": ["float64", "float32"],
}


@dataclass
class Entry:
    file: str
    kind: str
    cls: str
    what: str
    content: bytes
    where: str
    fragment: str
    huge: bool = False


def build_base() -> dict[str, bytes]:
    """The valid files every entry is a mutation of: vectors, results and exported inputs."""
    from bpspec import atomic, vectorset
    from bpspec.cases import validate
    from bpspec.conformance import export
    from bpspec.conformance.index import annotate
    from bpspec.generate import certify
    from bpspec.generate.regenerate import build

    case = validate(TINY)
    files = build({SUITE: [case]}, {case["case"]: certify.certify_case(case)}, None)
    with tempfile.TemporaryDirectory() as tmp:
        atomic.commit(tmp, files)
        suite = vectorset.load(SUITE, Path(tmp))
        exported = export.build("float64", [SUITE], "*", Path(tmp))
    graded = annotate(suite.values, suite.cases)
    graded = graded[(graded["quantity"] != "") & ~graded["quantity"].isin(("W", "b"))]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["case", "step", "name", "value"])
    writer.writerows(graded[["case", "step", "name", "value"]].itertuples(index=False))
    return {f"{SUITE}.csv": files[f"{SUITE}.csv"], f"{SUITE}.cases.json": files[f"{SUITE}.cases.json"],
            "results.csv": out.getvalue().encode(), "steps.jsonl": exported[export.STEPS],
            "trajectories.jsonl": exported[export.TRAJECTORIES]}


def lines(data: bytes) -> list[str]:
    return data.decode().split("\n")


def set_cell(data: bytes, line: int, column: int, value: str) -> bytes:
    """``data`` with one CSV cell (1-based line, 0-based column) replaced by ``value`` as written."""
    rows = lines(data)
    cells = next(csv.reader([rows[line - 1]]))
    cells = [f'"{c}"' if "," in c else c for c in cells]
    cells[column] = value
    rows[line - 1] = ",".join(cells)
    return "\n".join(rows).encode()


def line_of(data: bytes, text: str) -> int:
    return next(i for i, line in enumerate(lines(data), 1) if text in line)


def json_edit(data: bytes, edit, index: int | None = 0) -> bytes:
    """A JSON list (or, with ``index`` None, one object) edited by ``edit(obj)``, compact, one line."""
    obj = json.loads(data)
    edit(obj[index] if index is not None else obj)
    return (json.dumps(obj) + "\n").encode()


def case_file(edit=None) -> bytes:
    """The tiny case as a stand-alone case definition file, edited by ``edit``."""
    obj = json.loads(json.dumps(TINY))
    if edit:
        edit(obj)
    return (json.dumps(obj, indent=1) + "\n").encode()


def jsonl_edit(data: bytes, edit, line: int = 1) -> bytes:
    rows = lines(data)
    obj = json.loads(rows[line - 1])
    edit(obj)
    rows[line - 1] = json.dumps(obj)
    return "\n".join(rows).encode()


def entries(base: dict[str, bytes]) -> list[Entry]:
    v, r = base[f"{SUITE}.csv"], base["results.csv"]
    cl, st, tr = base[f"{SUITE}.cases.json"], base["steps.jsonl"], base["trajectories.jsonl"]
    n_v, n_r = len(lines(v)) - 1, len(lines(r)) - 1  # lines of the last row
    mid = 5
    e: list[Entry] = []

    def add(file, kind, cls, what, content, where, fragment, huge=False):
        e.append(Entry(file, kind, cls, what, content, where, fragment, huge))

    # vector files (VEC-1, VEC-4): fed as tiny.csv of a vector folder
    add("vectors/empty.csv", "vectors", "empty file", "no bytes at all", b"", ":1:", "empty vector file")
    add("vectors/header_only.csv", "vectors", "empty file", "the header and nothing else",
        lines(v)[0].encode() + b"\n", ":2:", "no rows after the header")
    cut = v.index(b"\n", len(v) // 2) - 20
    add("vectors/truncated_mid_row.csv", "vectors", "truncated mid-row", "the file cut inside a value",
        v[:cut], f":{len(lines(v[:cut]))}:", "digits '' is not a whole number")
    add("vectors/bom.csv", "vectors", "byte-order mark", "UTF-8 BOM before the header", b"\xef\xbb\xbf" + v,
        ":1:", "byte-order mark")
    add("vectors/crlf.csv", "vectors", "CRLF line ends", "Windows line ends", v.replace(b"\n", b"\r\n"),
        ":1:", "carriage return")
    add("vectors/missing_column.csv", "vectors", "missing column", "no scale column",
        "\n".join(",".join(next(csv.reader([x]))[:5]) if x else x for x in lines(v)).encode(), ":1:",
        "header is")
    add("vectors/duplicate_column.csv", "vectors", "duplicate column", "digits named twice",
        v.replace(b"digits,scale", b"digits,digits", 1), ":1:", "header is")
    add("vectors/wrong_column.csv", "vectors", "wrong column", "a column renamed",
        v.replace(b"value,", b"val,", 1), ":1:", "header is")
    add("vectors/extra_field.csv", "vectors", "wrong number of fields", "one row with a seventh cell",
        "\n".join(x + ",1" if i == mid else x for i, x in enumerate(lines(v), 1)).encode(), f":{mid}:",
        "malformed CSV row")
    add("vectors/blank_line.csv", "vectors", "blank line", "an empty line between rows",
        "\n".join(("\n" + x) if i == mid else x for i, x in enumerate(lines(v), 1)).encode(), f":{mid}:",
        "empty line")
    add("vectors/non_numeric.csv", "vectors", "non-numeric value", "value 'abc'", set_cell(v, mid, 3, "abc"),
        f":{mid}:", "is not a decimal number")
    add("vectors/nan.csv", "vectors", "NaN value", "value 'nan'", set_cell(v, mid, 3, "nan"), f":{mid}:",
        "is not a decimal number")
    add("vectors/inf.csv", "vectors", "Inf value", "value '-inf'", set_cell(v, mid, 3, "-inf"), f":{mid}:",
        "is not a decimal number")
    add("vectors/thousands_separator.csv", "vectors", "thousands separator", "value '1,234.5' (quoted)",
        set_cell(v, mid, 3, '"1,234.5"'), f":{mid}:", "is not a decimal number")
    add("vectors/ten_thousand_digits.csv", "vectors", "10,000-digit value", "a value of 10,000 digits",
        set_cell(v, mid, 3, "1" * 10_000), f":{mid}:", "(10000 characters)")
    add("vectors/out_of_range.csv", "vectors", "out of float64 range", "value 1e400",
        set_cell(v, mid, 3, "1e+400"), f":{mid}:", "outside the float64 range")
    add("vectors/bad_digits.csv", "vectors", "bad certified digits", "digits 31 > 30",
        set_cell(v, mid, 4, "31"), f":{mid}:", "digits '31'")
    add("vectors/negative_scale.csv", "vectors", "negative size or scale", "scale -1.00e+00",
        set_cell(v, mid, 5, "-1.00e+00"), f":{mid}:", "scale '-1.00e+00'")
    add("vectors/negative_step.csv", "vectors", "negative size or scale", "step -1",
        set_cell(v, mid, 1, "-1"), f":{mid}:", "step '-1'")
    add("vectors/duplicate_row.csv", "vectors", "duplicate key", "one value written twice",
        v + lines(v)[mid - 1].encode() + b"\n", f":{n_v + 1}:", "duplicate value")
    add("vectors/unknown_case.csv", "vectors", "unknown case", "a row of a case the suite lacks",
        set_cell(v, mid, 0, "no_such_case"), f":{mid}:", "'no_such_case' is not defined")
    add("vectors/bad_case_id.csv", "vectors", "bad identifier", "case id with upper case",
        set_cell(v, mid, 0, "Tiny_Case"), f":{mid}:", "is not a case id")
    add("vectors/unrecorded_step.csv", "vectors", "wrong shape or layer count", "a row at step 7",
        set_cell(v, mid, 1, "7"), f":{mid}:", "step 7 is not a recorded step")
    add("vectors/layer_out_of_range.csv", "vectors", "wrong shape or layer count", "net[3] in a 2-layer case",
        set_cell(v, 2, 2, '"net[3][0,0]"'), ":2:", "lies outside case tiny_case")
    add("vectors/huge_index.csv", "vectors", "huge declared size", "an index of 10^20",
        set_cell(v, 2, 2, '"net[1][100000000000000000000,0]"'), ":2:", "lies outside case tiny_case", True)
    add("vectors/non_utf8.csv", "vectors", "non-UTF-8 bytes", "a Latin-1 byte in a name",
        v.replace(b"tiny_case,0,", b"tiny_case,0,\xe9", 1), ":2:", "not UTF-8")
    add("vectors/nul_byte.csv", "vectors", "NUL byte", "a NUL byte inside a value",
        set_cell(v, mid, 3, "0.5\x00"), f":{mid}:", "NUL byte")

    # case lists of a vector folder (CASE-1, VEC-5): fed as tiny.cases.json
    add("caselist/not_a_list.json", "caselist", "wrong structure", "an object where a list belongs",
        json.dumps(json.loads(cl)[0]).encode(), ":", "expected a list of case definitions")
    add("caselist/duplicate_case.json", "caselist", "duplicate key", "one case id twice",
        json.dumps(json.loads(cl) * 2).encode(), "[1] (tiny_case):", "defined twice")
    add("caselist/wrong_suite.json", "caselist", "wrong structure", "a case of another suite",
        json_edit(cl, lambda c: c.update(suite="unit")), "[0] (tiny_case):", "in the file of suite 'tiny'")
    add("caselist/truncated.json", "caselist", "truncated", "the list cut in the middle",
        cl[: len(cl) // 2], ":", "not valid JSON")
    add("caselist/duplicate_key.json", "caselist", "duplicate key", "'loss' twice in one case",
        cl.replace(b'"loss": "half_sse",', b'"loss": "half_sse",\n  "loss": "mse",', 1), ": [0]:",
        "key 'loss' appears twice")

    # manifests (VEC-5): fed as MANIFEST.json of a vector folder
    add("manifest/duplicate_key.json", "manifest", "duplicate key", "'suites' twice",
        b'{"format_version": 1, "suites": {}, "suites": {}, "files": {}}\n', "/MANIFEST.json:",
        "key 'suites' appears twice")
    add("manifest/files_is_a_list.json", "manifest", "wrong structure", "files as a list",
        b'{"format_version": 1, "suites": {"tiny": {}}, "files": []}\n', "/MANIFEST.json:",
        "'files' must map names")
    add("manifest/nan.json", "manifest", "NaN value", "NaN as a JSON constant",
        b'{"format_version": NaN, "suites": {}, "files": {}}\n', "/MANIFEST.json:",
        "NaN is not a JSON number")
    tampered = {"format_version": 1, "suites": {SUITE: {"cases": 1}},
                "files": {f"{SUITE}.csv": {"sha256": "0" * 64}, f"{SUITE}.cases.json": {"sha256": "0" * 64}}}
    add("manifest/hash_mismatch.json", "manifest", "tampered file", "a SHA-256 that is not the file's",
        (json.dumps(tampered) + "\n").encode(), "/tiny.csv:", "SHA-256 differs")

    # case definition files (CASE-1..CASE-3): fed to bpspec explain FILE
    add("case/empty.json", "case", "empty file", "no bytes", b"", ":", "empty; expected JSON")
    add("case/bom.json", "case", "byte-order mark", "UTF-8 BOM", b"\xef\xbb\xbf" + case_file(), ":",
        "byte-order mark")
    add("case/truncated.json", "case", "truncated", "cut after line 20",
        b"\n".join(case_file().split(b"\n")[:20]), ":20:", "not valid JSON")
    add("case/not_an_object.json", "case", "wrong structure", "a list of one case",
        b"[" + case_file() + b"]", ":", "must be a JSON object")
    add("case/duplicate_key.json", "case", "duplicate key", "'loss' twice",
        case_file().replace(b'"loss": "half_sse",', b'"loss": "half_sse",\n "loss": "mse",', 1), ":",
        "key 'loss' appears twice")
    add("case/nan_constant.json", "case", "NaN value", "learning_rate: NaN",
        case_file().replace(b'"learning_rate": "0.5"', b'"learning_rate": NaN', 1), ": learning_rate:",
        "NaN is not a JSON number")
    add("case/infinity_string.json", "case", "Inf value", "x holds 'inf'",
        case_file(lambda c: c["x"][0].__setitem__(0, "inf")), " (tiny_case):", "'inf' is not a plain decimal")
    add("case/number_not_string.json", "case", "non-numeric value", "learning_rate as a JSON number",
        case_file(lambda c: c.update(learning_rate=0.5)), " (tiny_case):",
        "field 'learning_rate' has the wrong")
    add("case/thousands_separator.json", "case", "thousands separator", "x holds '1,000'",
        case_file(lambda c: c["x"][0].__setitem__(0, "1,000")), " (tiny_case):",
        "'1,000' is not a plain decimal")
    add("case/ten_thousand_digits.json", "case", "10,000-digit value", "a weight of 10,000 digits",
        case_file(lambda c: c["weights"][0][0].__setitem__(0, "7" * 10_000)), " (tiny_case):",
        "(10000 characters)")
    add("case/out_of_range.json", "case", "out of float64 range", "a target of 1e999",
        case_file(lambda c: c["y"][0].__setitem__(0, "1e999")), " (tiny_case):", "outside the float64 range")
    add("case/unknown_activation.json", "case", "unknown name", "activation 'swish'",
        case_file(lambda c: c["activations"].__setitem__(0, "swish")), " (tiny_case):",
        "unknown activation 'swish'")
    add("case/unknown_loss.json", "case", "unknown name", "loss 'cross_entropy'",
        case_file(lambda c: c.update(loss="cross_entropy")), " (tiny_case):", "unknown loss 'cross_entropy'")
    add("case/unknown_convention.json", "case", "unknown name", "convention 'momentum'",
        case_file(lambda c: c["conventions"].update(momentum="0.9")), " (tiny_case):",
        "unknown convention 'momentum'")
    add("case/unknown_field.json", "case", "wrong or missing field", "a field the schema lacks",
        case_file(lambda c: c.update(optimizer="adam")), " (tiny_case):", "unknown field 'optimizer'")
    add("case/missing_field.json", "case", "wrong or missing field", "no loss",
        case_file(lambda c: c.pop("loss")), " (tiny_case):", "missing field 'loss'")
    add("case/negative_size.json", "case", "negative size or scale", "a layer of width -2",
        case_file(lambda c: c.update(layer_sizes=[2, -2, 1])), " (tiny_case):", "layer width -2 outside")
    add("case/huge_width.json", "case", "huge declared size", "a layer of 2^32 units",
        case_file(lambda c: c.update(layer_sizes=[2, 4294967296, 1])), " (tiny_case):",
        "layer width 4294967296 outside 1..65536", True)
    add("case/huge_declared_network.json", "case", "huge declared size",
        "65536 x 65536 declared, 2 x 2 given", case_file(lambda c: c.update(layer_sizes=[65536, 65536, 1])),
        " (tiny_case):", "x has shape (2, 2); expected (batch, 65536)", True)
    add("case/huge_steps.json", "case", "huge declared size", "10^12 steps",
        case_file(lambda c: c.update(steps=10**12)), " (tiny_case):", "steps must be 1..100000", True)
    add("case/too_many_layers.json", "case", "huge declared size", "100 layers",
        case_file(lambda c: c.update(layer_sizes=[1] * 101, activations=["identity"] * 100)), " (tiny_case):",
        "100 layers declared; at most 64", True)
    add("case/wrong_layer_count.json", "case", "wrong shape or layer count",
        "three activations for two layers",
        case_file(lambda c: c.update(activations=["sigmoid", "identity", "identity"])), " (tiny_case):",
        "need 2 activations")
    add("case/wrong_shape.json", "case", "wrong shape or layer count", "W[2] of shape (1, 3)",
        case_file(lambda c: c["weights"][1][0].append("0.5")), " (tiny_case):",
        "weights[1] has shape (1, 3); expected (1, 2)")
    add("case/ragged.json", "case", "wrong shape or layer count", "rows of x of different lengths",
        case_file(lambda c: c["x"][1].append("0.5")), " (tiny_case):", "ragged nested list")
    add("case/bad_batch.json", "case", "wrong shape or layer count", "a batch naming sample 9",
        case_file(lambda c: c.update(batches=[[0], [9]])), " (tiny_case):", "batches[1] must list sample")
    add("case/record_out_of_order.json", "case", "wrong structure", "record [1, 0]",
        case_file(lambda c: c.update(record=[1, 0])), " (tiny_case):", "record must be strictly increasing")
    add("case/alias_not_a_name.json", "case", "wrong structure", "an alias that is a number",
        case_file(lambda c: c.update(names={"net[1][0,0]": 7})), " (tiny_case):", "names: the alias")
    add("case/deep_nesting.json", "case", "deep nesting", "5,000 nested lists",
        b"[" * 5_000 + b"]" * 5_000, ":", "nested too deeply")
    add("case/big_integer.json", "case", "10,000-digit value", "steps written with 10,000 digits",
        case_file().replace(b'"steps": 2', b'"steps": ' + b"9" * 10_000, 1), ":",
        "integer string conversion")
    add("case/non_utf8.json", "case", "non-UTF-8 bytes", "a Latin-1 byte in the description",
        case_file().replace(b"2-2-1", b"2\xb72\xb71", 1), ":4:", "not UTF-8 text (byte 0xb7)")

    # results files (ADP-7): fed to bpspec check --results FILE
    add("results/empty.csv", "results", "empty file", "no bytes", b"", ":1:", "empty results file")
    add("results/header_only.csv", "results", "empty file", "the header and nothing else",
        b"case,step,name,value\n", ":2:", "no rows after the header")
    add("results/truncated_mid_row.csv", "results", "truncated mid-row", "the last row cut after its name",
        r[: r.rindex(b",")], f":{n_r}:", "no value (expected 4 fields)")
    add("results/wrong_header.csv", "results", "wrong column", "'result' for 'value'",
        r.replace(b"value", b"result", 1), ":1:", "header is")
    add("results/missing_column.csv", "results", "missing column", "no step column",
        b"case,name,value\ntiny_case,E_total,0.5\n", ":1:", "header is")
    add("results/duplicate_column.csv", "results", "duplicate column", "value named twice",
        r.replace(b"case,step,name,value", b"case,step,name,value,value", 1), ":1:", "header is")
    add("results/extra_field.csv", "results", "wrong number of fields", "a row with a fifth cell",
        "\n".join(x + ",1" if i == mid else x for i, x in enumerate(lines(r), 1)).encode(), f":{mid}:",
        "malformed CSV row")
    add("results/blank_line.csv", "results", "blank line", "an empty line between rows",
        "\n".join(("\n" + x) if i == mid else x for i, x in enumerate(lines(r), 1)).encode(), f":{mid}:",
        "empty line")
    add("results/non_numeric.csv", "results", "non-numeric value", "value 'n/a'", set_cell(r, mid, 3, "n/a"),
        f":{mid}:", "is not a decimal number")
    add("results/nul_byte.csv", "results", "NUL byte", "a NUL byte inside a value",
        set_cell(r, mid, 3, "0.5\x00"), f":{mid}:", "NUL byte")
    add("results/thousands_separator.csv", "results", "thousands separator", "value '1,234.5' (quoted)",
        set_cell(r, mid, 3, '"1,234.5"'), f":{mid}:", "is not a decimal number")
    add("results/ten_thousand_digits.csv", "results", "10,000-digit value", "a value of 10,000 digits",
        set_cell(r, mid, 3, "9" * 10_000), f":{mid}:", "(10000 characters)")
    add("results/duplicate_row.csv", "results", "duplicate key", "one value stated twice",
        r + lines(r)[mid - 1].encode() + b"\n", f":{n_r + 1}:", f"repeats the value of line {mid}")
    add("results/bad_mode.csv", "results", "unknown name", "mode 'both'",
        b"case,step,name,value,mode\ntiny_case,0,E_total,0.5,both\n", ":2:",
        "mode 'both' is not single or free")
    add("results/negative_step.csv", "results", "negative size or scale", "step -1",
        set_cell(r, mid, 1, "-1"), f":{mid}:", "step '-1'")
    add("results/bad_case_id.csv", "results", "bad identifier", "a case id with a space",
        set_cell(r, mid, 0, "tiny case"), f":{mid}:", "is not a case id")
    add("results/unterminated_quote.csv", "results", "truncated mid-row", "a quote that never closes",
        set_cell(r, mid, 2, '"net[1][0,0]'), f":{mid}:", "malformed CSV row")
    add("results/non_utf8.csv", "results", "non-UTF-8 bytes", "a UTF-16 file",
        r.decode().encode("utf-16"), ":1:", "not UTF-8")

    # exported inputs (ADP-6): fed to bpspec export-inputs --verify DIR as steps.jsonl / trajectories.jsonl
    add("inputs/not_json.jsonl", "steps", "truncated mid-row", "the second record cut short",
        st[: st.index(b"\n") + 40] + b"\n", ":2:", "not valid JSON")
    add("inputs/blank_line.jsonl", "steps", "blank line", "an empty line between records",
        st.replace(b"\n", b"\n\n", 1), ":2:", "empty; expected JSON")
    add("inputs/duplicate_key.jsonl", "steps", "duplicate key", "'x' twice in the first record",
        st.replace(b'"x":', b'"x":[],"x":', 1), ":1:", "key 'x' appears twice")
    add("inputs/infinity.jsonl", "steps", "Inf value", "Infinity as a JSON constant",
        st.replace(b'"learning_rate":"0.5"', b'"learning_rate":Infinity', 1), ":1:",
        "Infinity is not a JSON number")
    add("inputs/missing_field.jsonl", "steps", "wrong or missing field", "no weights",
        jsonl_edit(st, lambda o: o.pop("weights")), ":1:", "missing field 'weights'")
    add("inputs/unknown_activation.jsonl", "steps", "unknown name", "activation 'gelu'",
        jsonl_edit(st, lambda o: o["activations"].__setitem__(1, "gelu")), ":1",
        "unknown activation 'gelu'")
    add("inputs/wrong_shape.jsonl", "steps", "wrong shape or layer count", "y of width 2",
        jsonl_edit(st, lambda o: [row.append("0") for row in o["y"]]), ":1",
        "y has shape (2, 2); expected (2, 1)")
    add("inputs/huge_width.jsonl", "steps", "huge declared size", "an input layer of 10^9 units",
        jsonl_edit(st, lambda o: o.update(layer_sizes=[10**9, 2, 1])), ":1",
        "layer width 1000000000 outside", True)
    add("inputs/number_not_string.jsonl", "steps", "non-numeric value", "x as JSON numbers",
        jsonl_edit(st, lambda o: o.update(x=[[0.5, -0.25], [1, 0.75]])), ":1",
        "is not a plain decimal string")
    add("inputs/bad_step.jsonl", "steps", "negative size or scale", "step -1",
        jsonl_edit(st, lambda o: o.update(step=-1)), ":1:", "step -1 is not a step number")
    add("inputs/wrong_steps_to_run.jsonl", "trajectories", "wrong structure",
        "steps_to_run 5 for record [0, 1]",
        jsonl_edit(tr, lambda o: o.update(steps_to_run=5)), ":1:", "steps_to_run must be")
    return e


def main() -> int:
    base = build_base()
    if BASE.exists():
        shutil.rmtree(BASE)
    BASE.mkdir(parents=True)
    for name, content in base.items():
        (BASE / name).write_bytes(content)
    for kind in ("vectors", "caselist", "manifest", "case", "results", "inputs"):
        shutil.rmtree(HERE / kind, ignore_errors=True)
    table = entries(base)
    names = [x.file for x in table]
    assert len(names) == len(set(names)), "corpus file names must be unique"
    for x in table:
        (HERE / x.file).parent.mkdir(parents=True, exist_ok=True)
        (HERE / x.file).write_bytes(x.content)
    with (HERE / "expected.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "kind", "class", "what", "where", "fragment", "huge"])
        w.writerows([x.file, x.kind, x.cls, x.what, x.where, x.fragment, int(x.huge)] for x in table)
    print(f"wrote {len(table)} corpus files and {len(base)} base files under {HERE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
