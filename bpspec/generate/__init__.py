"""The vector generator: runs the reference over the catalogue and writes ``vectors/`` (spec VEC, CERT)."""
