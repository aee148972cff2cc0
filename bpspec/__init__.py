"""bpspec: a verified reference specification of backpropagation with certified golden vectors.

The package maps the repository's folders: ``bpspec.reference`` (reference/), ``bpspec.impl``
(impl/), ``bpspec.vectors`` (vectors/), ``bpspec.spec`` (spec/), ``bpspec.catalogue`` (catalogue/);
the glue (contract, vector format, generator, conformance checker, CLI) lives in bpspec/.
"""

__version__ = "0.1.0"
