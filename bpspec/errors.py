"""The errors a user can cause, each reported as one line and exit code 2 by the CLI (spec CLI-1)."""


class InputError(ValueError):
    """Unusable input: a malformed file, case, step input or command line. The message is one line
    that names the file and line, or the case, and the problem."""


class UsageError(InputError):
    """A command line that cannot be run as given."""
