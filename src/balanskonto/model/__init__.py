"""Config → arrays, no randomness: transition tables, money tables, the arrivals plan and the
uncertainty specs. The engines and ``expected`` read these arrays only."""

from .codes import N_STATES, RELOCATED
from .compiled import CompiledModel, compile_model

__all__ = ["N_STATES", "RELOCATED", "CompiledModel", "compile_model"]
