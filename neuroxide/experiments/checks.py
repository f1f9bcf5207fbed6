"""Argument checks shared by the experiments' setups: each raises ParameterError naming the field."""

from neuroxide.errors import ParameterError

__all__ = ["check_range", "check_choice"]


def check_range(field, value, lo, hi, kind=int):
    """``value`` if it is a ``kind`` (int, or int/float for ``kind=float``; never a bool) within
    ``lo..hi``, else ParameterError naming ``field`` (nan and +-inf are out of every range)."""
    ok = isinstance(value, (int, float) if kind is float else int) and not isinstance(value, bool)
    if not ok or not lo <= value <= hi:
        raise ParameterError(field, value, f"{lo}..{hi}")
    return value


def check_choice(field, value, choices):
    """``value`` if it is one of ``choices``, else ParameterError naming ``field`` and listing them."""
    if value not in choices:
        raise ParameterError(field, value, " | ".join(choices))
    return value
