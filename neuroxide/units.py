"""SI units of device values: the range a physical value may take, and the parser that checks it.

A basic of every stage (like :mod:`neuroxide.errors`): it imports nothing of the project but the
errors, so models, the CLI layer and its plug-ins can all read device values the same way.
"""

import math

from neuroxide.errors import ParameterError

__all__ = ["SI_MAGNITUDE", "si_float"]

SI_MAGNITUDE = (1e-24, 1e24)  # yocto..yotta: every device value of every family lies well inside


def si_float(name, value):
    """``float(value)`` of a device value in SI units, else ParameterError naming ``name``.

    0, nan and +-inf pass through (the preset's own validation decides: some fields may be 0 or
    infinite, e.g. a FeFET's ``tau_relax_s``); a finite non-zero value must have a magnitude within
    :data:`SI_MAGNITUDE`, beyond which no device lies and the float arithmetic of the models
    under- or overflows.
    """
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ParameterError(name, value, "a number in SI units (e.g. 1e-9)") from None
    lo, hi = SI_MAGNITUDE
    if math.isfinite(x) and x != 0 and not lo <= abs(x) <= hi:
        raise ParameterError(name, value, f"0 or a magnitude within {lo:g}..{hi:g} (SI units)",
                             why="beyond any physical device")
    return x
