"""Which BLAS ran, on which kernel, with which threads and settings: the context a reader needs.

``threadpoolctl`` reads, from the libraries loaded in this process, each BLAS and OpenMP runtime,
its version, the CPU kernel it picked (OpenBLAS's ``architecture``, e.g. Haswell: what
OPENBLAS_CORETYPE forces) and its thread count. Without it, NumPy's build configuration still names
its BLAS but not the kernel. The OpenBLAS and thread variables of the environment are reported as
they are; the benchmark never sets them.
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

import numpy as np

ENVIRONMENT = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
               "MKL_NUM_THREADS")
PACKAGES = ("numpy", "torch", "jax", "jaxlib", "mpmath", "threadpoolctl")


def libraries() -> list[dict[str, Any]] | str:
    """Every BLAS / OpenMP library loaded now, as threadpoolctl sees it; or why it cannot say."""
    try:
        from threadpoolctl import threadpool_info
    except ModuleNotFoundError:
        blas = np.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {})
        return (f"threadpoolctl is not installed, so the BLAS kernel is unknown; NumPy was built with "
                f"{blas.get('name', '?')} {blas.get('version', '')} (pip install threadpoolctl)")
    keys = ("user_api", "internal_api", "version", "architecture", "threading_layer", "num_threads",
            "filepath")
    return [{k: lib[k] for k in keys if k in lib} for lib in threadpool_info()]


def machine() -> dict[str, Any]:
    """Python, the CPU count, the installed versions, the environment variables and the libraries."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
        "versions": versions, "environment": {k: os.environ.get(k) for k in ENVIRONMENT},
        "libraries": libraries(),
    }


def describe(info: dict[str, Any]) -> list[str]:
    """The machine in a few lines for the terminal."""
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
    env = ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in info["environment"].items())
    lines = [f"python {info['python']} on {info['cpus']} CPUs; {versions}", f"environment: {env}"]
    libs = info["libraries"]
    if isinstance(libs, str):
        return [*lines, libs]
    for lib in libs:
        where = os.path.basename(lib.get("filepath", ""))
        kernel = f", kernel {lib['architecture']}" if lib.get("architecture") else ""
        lines.append(f"{lib.get('user_api')}: {lib.get('internal_api')} {lib.get('version') or ''}{kernel}, "
                     f"{lib.get('num_threads')} threads ({where})")
    return lines
