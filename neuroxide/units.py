"""SI units of device values: the range a physical value may take, and the parser that checks it.

A basic of every stage (like :mod:`neuroxide.errors`): it imports nothing of the project but the
errors, so models, the CLI layer and its plug-ins can all read device values the same way.
"""

import math
import re
from decimal import Decimal, InvalidOperation

from neuroxide.errors import ParameterError

__all__ = ["SI_MAGNITUDE", "SI_PREFIXES", "si_float", "parse_quantity", "format_quantity"]

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


# SI prefixes and their powers of ten ("u" is micro)
SI_PREFIXES = {"y": -24, "z": -21, "a": -18, "f": -15, "p": -12, "n": -9, "u": -6, "m": -3, "": 0,
               "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18, "Z": 21, "Y": 24}
_EXP_PREFIX = {e: p for p, e in SI_PREFIXES.items()}
_NUMBER = re.compile(r"^\s*([+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf))\s*(\S*)\s*$")


def parse_quantity(name, text, unit):
    """``"71.1 pF"`` -> 7.11e-11 for ``unit`` "F" (a value of a file, named ``name`` in errors).

    Strict: a number, optional space, an optional SI prefix (:data:`SI_PREFIXES`, case matters),
    the unit, nothing else -- "71.1 pf", "71.1e-12", "71.1 pF x" and a bare number are refused. A
    dimensionless value (``unit`` "") is a bare number. The result is the float nearest the decimal
    written (exact decimal scaling), so what :func:`format_quantity` writes reads back equal, and
    it passes :func:`si_float` (magnitude within :data:`SI_MAGNITUDE`).
    """
    if unit == "":
        if isinstance(text, bool) or not isinstance(text, (int, float)):
            raise ParameterError(name, text, "a bare number (a dimensionless value)")
        return si_float(name, text)
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        raise ParameterError(name, text, f'a string "NUMBER [PREFIX]{unit}", e.g. "1.5 k{unit}"',
                             why=f"the unit is missing (SI unit of this value: {unit})")
    if not isinstance(text, str):
        raise ParameterError(name, text, f'a string "NUMBER [PREFIX]{unit}"')
    m = _NUMBER.match(text)
    if not m:
        raise ParameterError(name, text, f'"NUMBER [PREFIX]{unit}", e.g. "1.5 k{unit}"', why="not a number")
    number, rest = m.group(1), m.group(2)
    if rest == "":
        raise ParameterError(name, text, f'"NUMBER [PREFIX]{unit}"', why=f"the unit is missing (SI unit: {unit})")
    prefix = rest[:len(rest) - len(unit)]
    if not rest.endswith(unit) or prefix not in SI_PREFIXES:
        raise ParameterError(name, text, f'"NUMBER [PREFIX]{unit}" with a prefix of '
                             f'{" ".join(p for p in SI_PREFIXES if p)}',
                             why=f"unit {rest!r} is not {unit} (the SI unit of this value)")
    try:
        value = float(Decimal(number).scaleb(SI_PREFIXES[prefix]))
    except (InvalidOperation, OverflowError):
        raise ParameterError(name, text, "a finite number", why="not a number") from None
    return si_float(name, value)


def format_quantity(value, unit):
    """``7.11e-11, "F"`` -> ``"71.1 pF"``: an engineering prefix and the shortest decimal that
    :func:`parse_quantity` reads back as exactly ``value`` (a bare float for ``unit`` "")."""
    if unit == "":
        return float(value)
    if math.isinf(value):
        return f"{'-' if value < 0 else ''}inf {unit}"
    if value == 0:
        return f"0 {unit}"
    exp3 = max(-24, min(24, 3 * math.floor(math.log10(abs(value)) / 3)))
    text = format(Decimal(repr(float(value))).scaleb(-exp3).normalize(), "f")
    if float(Decimal(text).scaleb(exp3)) != value:   # a decimal shift is exact; kept as a guard
        text, exp3 = repr(float(value)), 0
    return f"{text} {_EXP_PREFIX[exp3]}{unit}"
