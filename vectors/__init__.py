"""Golden vectors, written only by ``bpspec regenerate`` (spec VEC-5); never edit these files by hand.

``<suite>.csv`` holds the values, ``<suite>.cases.json`` the case definitions, ``MANIFEST.json`` the
SHA-256 of each. ``bpspec regenerate --check`` proves a copy is what the generator writes.
"""
