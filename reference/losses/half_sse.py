"""Half sum of squared errors, seed 000's E = sum 1/2 (target - out)^2 (spec LOSS-1).

term: 1/2 (target - out)^2        grad: out - target
"""


def term(out, target, n_out):
    return (target - out) ** 2 / 2


def grad(out, target, n_out, conventions):
    return out - target
