"""The conformance checker: any implementation, through the adapter contract, against the vectors.

It knows implementations only through the adapter contract (spec ADP) and the reference only through
the vector files it wrote (spec VEC); grading follows spec/grading.md (TOL).
"""
