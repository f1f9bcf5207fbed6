"""``-p NAME=VALUE`` overrides: parsing the text, checking the values against a spec, naming them in
errors.

Designs (``neuroxide verilog|simulate|build DESIGN -p ...``) and device presets (``neuroxide device
PRESET -p ...``, ``neuroxide demo -p ...``) take their parameters this way: :func:`parse_overrides`
turns the command line's items into a dict, a design checks it with :func:`check_known` and
:func:`check_int_params`, and :func:`naming_overrides` makes an error on a field the user did not
give name the overrides that put it out of range.
"""

from contextlib import contextmanager

from neuroxide.errors import ParameterError

__all__ = ["parse_overrides", "naming_overrides", "check_int_params", "check_known"]


def _parse_value(text):
    """``none``/empty -> None, then an integer (``0x`` too), then a float, else the text itself."""
    text = text.strip()
    if text.lower() in ("none", ""):
        return None
    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_overrides(items):
    """``["v_th=5000", "reset_mode=subtract"]`` -> dict; a malformed item raises ParameterError."""
    out = {}
    for item in items or ():
        if "=" not in item:
            raise ParameterError("-p", item, "NAME=VALUE")
        name, _, value = item.partition("=")
        if not name.strip():
            raise ParameterError("-p", item, "NAME=VALUE", why="the name is empty")
        out[name.strip()] = _parse_value(value)
    return out


def check_int_params(spec, overrides):
    """Validate integer parameters against ``spec = {name: (doc, default, lo, hi)}``.

    Returns ``{name: value}`` for every name in ``spec`` (default where not overridden); a value
    that is not an integer in ``lo..hi`` raises ParameterError naming it and the range.
    """
    out = {}
    for name, (_, default, lo, hi) in spec.items():
        value = overrides.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ParameterError(name, value, f"{lo}..{hi}")
        out[name] = value
    return out


def check_known(owner, overrides, known):
    """Raise ParameterError for the first override whose name is not in ``known`` (``owner``: the
    design whose parameters they are)."""
    for name in overrides:
        if name not in known:
            raise ParameterError(name, overrides[name], f"a parameter of design {owner!r}: "
                                 f"{', '.join(sorted(known))}", why="unknown parameter")


@contextmanager
def naming_overrides(overrides, context):
    """Re-raise a ParameterError on a field that was not overridden with the overrides named.

    A value left at its default can conflict with an override (``-p r_load_ohm=1e9`` moves the
    oscillating range away from the preset's operating range); the error then names the field that
    broke and, through this, the ``-p`` values that broke it.
    """
    try:
        yield
    except ParameterError as exc:
        if not overrides or exc.field in overrides or getattr(exc, "overrides_named", False):
            raise
        given = " ".join(f"-p {k}={v!r}" for k, v in overrides.items())
        why = (f"{exc.why}; " if exc.why else "") + (f"{context} " if context else "") + f"with {given}"
        error = ParameterError(exc.field, exc.value, exc.allowed, why=why)
        error.overrides_named = True
        raise error from None
