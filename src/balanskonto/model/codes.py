"""Integer codes of the kernels: the one boundary where state labels become numbers.

What must match the kernels: a model's ``states`` (the config's, ``relocated`` last) are the
order of the state axis of every table, the kernels taking the number of states from the
arrays' shapes and ``relocated`` as the last; the payment part kinds are read by
``engines/_kernels.py``.
"""

from __future__ import annotations

import numpy as np

from ..config.types import STATES

#: The default states' count and the code of relocated among them (tests; a model's own are
#: ``len(model.states)`` and ``model.relocated``).
N_STATES = len(STATES)
RELOCATED = STATES.index("relocated")
#: Payment part kinds, shared with the kernels.
PART_CALENDAR_YEAR = 0  # part k: k = 0 in the arrival month, else January of arrival year + k
PART_MONTHS_AFTER = 1  # part due k months after the arrival month
#: Duration from which a state is "never" absorbing.
NEVER = np.int64(2**40)
DISTRIBUTIONS = ("fixed", "poisson", "negative_binomial")
