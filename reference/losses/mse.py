"""Mean squared error over the output units, seeds 001 and 004 (spec LOSS-3).

term: (target - out)^2 / n_out
grad: 2/n_out (out - target) under the conforming ``mse_grad_factor = 2/n`` (CNV-3); ``1`` is the
      variant of seed 004, whose ``diff`` returns ``pred - true`` (errata ERR-2).
"""


def term(out, target, n_out):
    return (target - out) ** 2 / n_out


def grad(out, target, n_out, conventions):
    if conventions["mse_grad_factor"] == "1":
        return out - target
    return 2 * (out - target) / n_out
