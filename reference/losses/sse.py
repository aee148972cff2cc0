"""Sum of squared errors, E = sum (target - out)^2 (spec LOSS-2).

term: (target - out)^2        grad: 2 (out - target)
"""


def term(out, target, n_out):
    return (target - out) ** 2


def grad(out, target, n_out, conventions):
    return 2 * (out - target)
