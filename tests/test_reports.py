"""The user's view of a run: the HTML report and its heatmap, ``--json``, colours, progress, atomic
report files, ``bpspec plot``, and the trust model's promise that files are data (CHK-4, CLI-3,
CLI-4, CLI-5)."""

from __future__ import annotations

import ast
import io
import json
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bpspec.cli import main
from bpspec.conformance import report
from bpspec.conformance.run import _colour

ROOT = Path(__file__).resolve().parent.parent
CASES = ["--suite", "kinks", "--suite", "seed", "--case", "*00[0-4]*"]


class Page(HTMLParser):
    """The parts of the report the tests look at: tables by id, their rows and cells, and anything
    that would load an external asset or run a script."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[dict]]] = {}
        self.external: list[str] = []
        self._table: str | None = None
        self._cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" or any(k in a and a[k] and not a[k].startswith("#") for k in ("src", "href")):
            self.external.append(tag)
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = {"tag": tag, "text": "", **a}
            self.tables[self._table][-1].append(self._cell)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._cell = None
        elif tag == "table":
            self._table = None


@pytest.fixture(scope="module")
def html_run(tmp_path_factory) -> tuple[Page, dict]:
    """The HTML and the JSON report of one run of an adapter that returns NaN on three cases, so that
    the heatmap has failing cells beside passing ones."""
    tmp = tmp_path_factory.mktemp("reports")
    code = main(["check", "--impl", "tests.adapters.faulty:nan", *CASES, "--quiet",
                 "--report", "html", str(tmp / "r.html"), "--report", "json", str(tmp / "r.json")])
    assert code == 1
    page = Page()
    page.feed((tmp / "r.html").read_text(encoding="utf-8"))
    return page, json.loads((tmp / "r.json").read_text())


def test_html_report_has_a_heatmap_row_per_case(html_run):
    """The heatmap: a header of the 8 quantities, one row per case, coloured cells (CHK-4)."""
    page, data = html_run
    heatmap = page.tables["heatmap"]
    header = [c["text"] for c in heatmap[0]]
    assert header == ["case", "dtype", *report.QUANTITIES]
    rows = [r for r in heatmap[1:] if r]
    assert [r[0]["text"] for r in rows] == [c["case"] for c in data["cases"]]
    coloured = [c for r in rows for c in r[2:] if "hsl(" in c.get("style", "")]
    assert coloured, "no coloured heatmap cell"
    nan_case = next(r for r in rows if r[0]["text"] == "kinks_identity_relu_001")
    assert nan_case[2]["text"] == "0.0"  # net agrees on no digit: the NaN adapter's first failure


def test_html_report_has_a_case_table_and_is_self_contained(html_run):
    """Per-case table with status and reason; no script, no external asset (CHK-4)."""
    page, data = html_run
    cases = [r for r in page.tables["cases"][1:] if r]
    assert len(cases) == len(data["cases"])
    statuses = {r[0]["text"]: r[3]["text"] for r in cases}
    assert statuses == {c["case"]: c["status"] for c in data["cases"]}
    assert "summary" in page.tables and not page.external


def test_json_flag_prints_the_json_report(capsys, tmp_path):
    """--json writes on stdout what --report json writes to its file, and nothing else (CLI-3)."""
    path = tmp_path / "r.json"
    code = main(["check", "--impl", "numpy", *CASES, "--json", "--report", "json", str(path)])
    out = capsys.readouterr().out
    assert code == 0 and json.loads(out) == json.loads(path.read_text())


def test_report_into_an_unwritable_place_is_one_line(capsys, tmp_path):
    """A report path that cannot be written: exit 2, one line, nothing half-written (CLI-1)."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(["check", "--impl", "numpy", *CASES, "--report", "json", str(blocker / "r.json")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and "cannot write" in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colours_only_on_a_terminal_without_no_color(monkeypatch):
    """FAIL red and PASS green on a terminal; plain text when piped or when NO_COLOR is set (CLI-3)."""
    text = "FAIL x\nother\nPASS: 1 cases passed"
    monkeypatch.delenv("NO_COLOR", raising=False)
    painted = _colour(Terminal())(text)
    assert "\033[31mFAIL x\033[0m" in painted and "\033[32mPASS" in painted and "\nother\n" in painted
    assert _colour(io.StringIO())(text) == text
    monkeypatch.setenv("NO_COLOR", "1")
    assert _colour(Terminal())(text) == text


def test_no_progress_bar_or_colour_when_not_a_terminal(capsys):
    """Piped output has no progress bar on stderr and no escape codes on stdout (CLI-3)."""
    assert main(["check", "--impl", "numpy", *CASES]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "\033[" not in captured.out


def test_plot_draws_a_png(capsys, tmp_path):
    """bpspec plot writes a PNG of a trajectory's loss curves (CLI-4)."""
    pytest.importorskip("matplotlib")
    out = tmp_path / "loss.png"
    assert main(["plot", "seed004_sigmoid_neuron", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "100 updates" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["no_such_case"], "unknown case 'no_such_case'"),
    (["kinks_relu_003"], "is a single step, not a trajectory"),
    (["seed004_sigmoid_neuron", "--dtype", "float8"], "--dtype 'float8'"),
])
def test_plot_bad_input_is_one_line(capsys, tmp_path, args, message):
    """bpspec plot on a bad case or option: exit 2, one line (CLI-1, CLI-4)."""
    pytest.importorskip("matplotlib")
    code = main(["plot", *args, "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and message in err, err


def test_plot_without_matplotlib_is_one_line(capsys, monkeypatch, tmp_path):
    """Without the optional extra, plot says how to install it (CLI-4)."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code = main(["plot", "seed004_sigmoid_neuron", "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'bpspec[plot]'" in err and len(err.splitlines()) == 1


def test_loaders_parse_data_only():
    """No loader of untrusted files unpickles, evaluates or executes anything (CLI-5)."""
    loaders = ["bpspec/vectorfile.py", "bpspec/vectorset.py", "bpspec/vectorcache.py", "bpspec/cases.py",
               "bpspec/jsonfile.py", "bpspec/contract.py", "bpspec/atomic.py",
               "bpspec/conformance/results.py", "bpspec/conformance/export.py", "bpspec/conformance/index.py",
               "bpspec/names.py"]
    unsafe_modules = {"pickle", "marshal", "shelve", "yaml", "dill", "importlib"}
    unsafe_builtins = {"eval", "exec", "compile", "__import__"}
    for name in loaders:
        tree = ast.parse((ROOT / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [str(node.module)]
                assert not {m.split(".")[0] for m in modules} & unsafe_modules, (name, modules)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in unsafe_builtins, (name, node.func.id, node.lineno)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value.id if isinstance(node.func.value, ast.Name) else ""
                bad = node.func.attr == "read_pickle" or node.func.attr == "load" and owner in ("np", "torch")
                assert not bad, (name, node.func.attr, node.lineno)
            elif isinstance(node, ast.keyword):
                assert node.arg != "allow_pickle", (name, node.lineno)


def test_results_file_never_names_a_path(capsys, tmp_path, vector_cache):
    """Case ids and value names of a results file are validated as identifiers, so none can become a
    path: a hostile file is refused, and a valid one makes the checker open only the files given,
    besides the parsed-vector cache (CLI-5, VEC-7)."""
    hostile = tmp_path / "hostile.csv"
    hostile.write_text("case,step,name,value\n../../etc/passwd,0,E_total,1\n")
    assert main(["check", "--results", str(hostile), "--suite", "seed"]) == 2
    assert "is not a case id" in capsys.readouterr().err
    hostile.write_text("case,step,name,value\nseed003_1_1_1,0,/etc/passwd,1\n")
    assert main(["check", "--results", str(hostile), "--suite", "seed"]) == 2
    assert "is not a value name" in capsys.readouterr().err
    opened: list[str] = []
    watching = [True]

    def audit(event, args):
        if event == "open" and watching[0] and isinstance(args[0], (str, Path)):
            opened.append(str(args[0]))

    sys.addaudithook(audit)  # audit hooks cannot be removed: this one stops recording below
    stranger = tmp_path / "stranger.csv"
    stranger.write_text("case,step,name,value\netc_passwd,0,E_total,1\nseed003_1_1_1,0,E_total/../../../x,1\n"
                        "seed003_1_1_1,0,E_total,0.5\n")
    try:
        main(["check", "--results", str(stranger), "--suite", "seed", "--report", "json",
              str(tmp_path / "r.json")])
    finally:
        watching[0] = False
    capsys.readouterr()
    data_files = [p for p in opened if not p.endswith((".py", ".pyc", ".so")) and "site-packages" not in p
                  and "/lib/python" not in p]
    vectors = str(ROOT / "vectors")
    assert str(stranger) in data_files and any(p.startswith(vectors) for p in data_files), data_files
    assert all(p.startswith((vectors, str(tmp_path), str(vector_cache))) for p in data_files), data_files
