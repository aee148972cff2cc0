"""The ``bpspec`` command line (spec CLI).

Each subcommand lives in its own module with ``add_arguments(parser)`` and ``run(args) -> int``.
Exit codes (CLI-1): 0 success / all pass, 1 a failure or a stale file, 2 unusable input or usage.
Every ``InputError`` (bad files, cases, step inputs, options) prints one line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from bpspec.errors import InputError

COMMANDS = {
    "explain": ("bpspec.explain", "print a case step by step, every chain-rule factor named"),
    "regenerate": ("bpspec.generate.regenerate", "regenerate the golden vectors (or --check them)"),
    "check": ("bpspec.conformance.run", "run the conformance suite against an implementation"),
    "export-inputs": ("bpspec.conformance.export", "write every step input as files, for any language"),
    "bench": ("bpspec.bench", "benchmark implementations against each other, as ratios in one run"),
    "plot": ("bpspec.plot", "draw a trajectory's loss curve, the reference against an implementation"),
}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, as every other error (CLI-1)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser(argv: list[str]) -> argparse.ArgumentParser:
    """The command line's parser. Only the command ``argv`` names has its module imported and its
    arguments added: the others' modules import pandas, mpmath or matplotlib, ~0.4 s that
    ``bpspec --help`` or ``bpspec check`` need not wait for."""
    parser = _Parser(prog="bpspec", description=__doc__.split("\n")[0])
    from bpspec import __version__

    parser.add_argument("--version", action="version", version=f"bpspec {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, (module, help_text) in COMMANDS.items():
        if name != chosen:
            sub.add_parser(name, help=help_text)
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name and err.name.startswith("bpspec"):
                continue
            raise
        summary = (mod.__doc__ or help_text).strip().split("\n")[0]
        p = sub.add_parser(name, help=help_text, description=summary)
        mod.add_arguments(p)
        p.set_defaults(run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except InputError as err:
        print(f"bpspec {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bpspec {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
