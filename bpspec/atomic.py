"""Writing files so that no reader ever sees half of them (spec VEC-6).

``write`` replaces one file atomically (a temporary file in the same folder, fsync, rename).
``commit`` replaces a whole set of files as one: every file is first staged complete in
``.staging/`` and a ``COMPLETE`` marker is written last; only then are the files renamed into place.
``recover`` runs before every read and every write of the folder: a staging folder without the marker
is discarded (the old set was never touched), one with it is rolled forward. So a run killed at any
moment leaves either the old set or the new one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

STAGING = ".staging"
MARKER = "COMPLETE"
FILE_MODE = 0o644


def write(path: Path | str, content: bytes) -> None:
    """Replace ``path`` by ``content`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def commit(folder: Path | str, files: dict[str, bytes], remove: tuple[str, ...] = ()) -> None:
    """Replace the files named in ``files`` (paths relative to ``folder``) and delete ``remove``, all
    or nothing."""
    folder = Path(folder)
    recover(folder)
    staging = folder / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    for rel, content in files.items():
        write(staging / rel, content)
    write(staging / MARKER, json.dumps({"files": sorted(files), "remove": sorted(remove)}).encode())
    _roll_forward(folder)


def recover(folder: Path | str) -> None:
    """Finish or discard an interrupted ``commit`` in ``folder``."""
    staging = Path(folder) / STAGING
    if not staging.exists():
        return
    if (staging / MARKER).exists():
        _roll_forward(Path(folder))
    else:
        shutil.rmtree(staging, ignore_errors=True)


def _roll_forward(folder: Path) -> None:
    staging = folder / STAGING
    plan = json.loads((staging / MARKER).read_text())
    for rel in plan["files"]:
        src = staging / rel
        if src.exists():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, folder / rel)
    for rel in plan["remove"]:
        (folder / rel).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
