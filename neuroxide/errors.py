"""Errors shared by every stage of the flow.

A :class:`ParameterError` is bad input from the user (a field outside its allowed range, an unknown
name, a malformed file); the CLI turns it into exit code 2 with the message on stderr. A
:class:`ToolchainError` is a missing or failing external tool (simulator, yosys, nextpnr).
"""

import numbers

__all__ = ["NeuroxideError", "ParameterError", "ToolchainError", "check_int"]


class NeuroxideError(Exception):
    """Base class of the errors neuroxide raises on purpose."""


class ParameterError(NeuroxideError, ValueError):
    """A user-supplied value is out of range or unknown.

    ``field`` names the offending parameter, ``value`` is what was given and ``allowed`` says what
    would have been accepted (a range such as ``"1..32767"`` or a list of names).
    """

    def __init__(self, field, value, allowed, why=None):
        self.field = field
        self.value = value
        self.allowed = allowed
        self.why = why
        msg = f"{field}={value!r} is not allowed"
        if why:
            msg += f" ({why})"
        msg += f"; allowed: {allowed}"
        super().__init__(msg)


class ToolchainError(NeuroxideError, RuntimeError):
    """An external tool (simulator, synthesis, place-and-route) is missing or failed.

    ``missing=True`` marks a tool that is not installed (the CLI exits 2, like bad input); otherwise
    the tool ran and failed (exit 1).
    """

    def __init__(self, message, missing=False):
        self.missing = missing
        super().__init__(message)


def check_int(field, value, lo, hi, why=None):
    """``int(value)`` if it is an integer (not a bool) in ``lo..hi``, else ParameterError naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(field, value, f"an integer in {lo}..{hi}", why)
    if not lo <= value <= hi:
        raise ParameterError(field, value, f"{lo}..{hi}", why)
    return int(value)
