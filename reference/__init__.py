"""The mpmath reference model of backpropagation (spec chapters FWD, ACT, LOSS, BWD, UPD).

Pure mpmath: no NumPy in the arithmetic, every input taken exactly to the working precision, the
precision a parameter of each call and never set globally.  ``step`` follows the adapter contract of
the spec (chapter ADP); ``trace`` returns every intermediate quantity, including the chain-rule factors
that ``bpspec explain`` prints.
"""

from bpspec.reference.activations import ACTIVATIONS
from bpspec.reference.losses import LOSSES
from bpspec.reference.network import Trace, step, trace
from bpspec.reference.trajectory import run_case

__all__ = ["ACTIVATIONS", "LOSSES", "Trace", "run_case", "step", "trace"]
