"""Device preset files (TOML): a device of any family described by its values with their SI units.

One resolver, :func:`resolve_preset`, turns what a user typed -- a built-in preset name or the path
of a ``.toml`` file -- into a preset object; every command that takes a preset goes through it.
:func:`dump_preset` writes any preset as a file to start from (``neuroxide device nbox --export
my.toml``); loading that file gives back an equal preset. The format (docs/devices.md)::

    name = "my-nbox"                  # the preset's name (shown in reports; any text)
    family = "ts"                     # ts | oscillator | fefet | afefet | mtj | stochastic | dendrite
    source = "my lab, wafer 3"        # where the values come from
    assumed = ["r_load_ohm", "c_farad"]   # values not measured (chosen, or fitted to one figure)

    [parameters]                      # every value of the family, a string "NUMBER [PREFIX]UNIT"
    r_load_ohm = "2 kOhm"             # unit fixed by the name's suffix: Ohm, F, V, s, A, m, S, m/(s*A)
    c_farad = "71.1 pF"               # prefixes y z a f p n u m k M G T P E Z Y (u = micro)
    sigma_rel = 0.025                 # a dimensionless value (suffix _rel) is a bare number

    [spread.v_th_volt]                # optional: measured relative sigmas (fractions of the value)
    d2d = 0.03                        # device to device
    c2c = 0.02                        # cycle to cycle

    [uncertainty]                     # optional: 1-sigma uncertainty of a fitted value, same unit
    v_th_volt = "4 mV"

A ``stochastic`` preset holds its threshold-switch circuit in a ``[circuit]`` table (``name``,
``source``, ``assumed`` and ``[circuit.parameters]``); its own ``[parameters]`` hold ``sigma_rel``.

Everything is checked on load: unknown keys, a value without its unit or with another unit, a
number that is not one, and the preset's own validation (V_hold >= V_th, R_on >= R_off, an
operating range that does not oscillate ...) raise :class:`~neuroxide.errors.ParameterError`
naming the file and the key (``my.toml: parameters.v_hold_volt``).
"""

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from neuroxide.errors import ParameterError
from neuroxide.units import format_quantity, parse_quantity

from .dendrite import DENDRITE_FIELDS, DendritePreset
from .fefet import FEFET_FIELDS, FeFETPreset
from .mtj import MTJ_FIELDS, MTJPreset
from .stochastic import STOCHASTIC_FIELDS, StochasticTSPreset
from .threshold_switch import CIRCUIT_FIELDS, ThresholdSwitchPreset

__all__ = ["PRESET_SUFFIX", "FAMILY_FIELDS", "PresetDocument", "looks_like_file", "resolve_preset", "load_preset",
           "load_preset_file", "parse_preset_text", "dump_preset", "export_preset", "unit_of", "parse_quantity",
           "format_quantity"]

PRESET_SUFFIX = ".toml"

# the device values of each family, in the order a file lists them
FAMILY_FIELDS = {
    "ts": CIRCUIT_FIELDS, "oscillator": CIRCUIT_FIELDS, "fefet": FEFET_FIELDS, "afefet": FEFET_FIELDS,
    "mtj": MTJ_FIELDS, "stochastic": STOCHASTIC_FIELDS, "dendrite": DENDRITE_FIELDS,
}
_KIND = {"fefet": "ferroelectric", "afefet": "antiferroelectric"}

# a field's SI unit from its name's suffix (the project's naming rule); longest suffix first
_SUFFIX_UNITS = (("_m_per_s_per_amp", "m/(s*A)"), ("_siemens", "S"), ("_farad", "F"), ("_volt", "V"),
                 ("_ohm", "Ohm"), ("_amp", "A"), ("_rel", ""), ("_hz", "Hz"), ("_s", "s"), ("_m", "m"))
_TOP_KEYS = ("name", "family", "source", "assumed", "parameters", "spread", "uncertainty", "circuit")
_CIRCUIT_KEYS = ("name", "source", "assumed", "parameters")
SPREAD_KINDS = ("d2d", "c2c")


def unit_of(name):
    """The SI unit of device value ``name`` ('' for a dimensionless one), from its suffix."""
    for suffix, unit in _SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    raise ParameterError("parameter", name, "a name ending in a unit suffix (" +
                         ", ".join(s for s, _ in _SUFFIX_UNITS) + ")")


@dataclass(frozen=True)
class PresetDocument:
    """What a preset file holds: the preset, its family, the measured ``spread`` (``{field: {"d2d":
    sigma_rel, "c2c": sigma_rel}}``) and fit ``uncertainty`` (``{field: 1-sigma in SI}``)."""

    preset: object
    family: str
    spread: dict = field(default_factory=dict)
    uncertainty: dict = field(default_factory=dict)
    path: str | None = None


def looks_like_file(text):
    """True when ``text`` names a preset file rather than a built-in preset (a ``.toml`` name or a path)."""
    return isinstance(text, (str, os.PathLike)) and (
        str(text).lower().endswith(PRESET_SUFFIX) or os.sep in str(text) or "/" in str(text))


def resolve_preset(preset):
    """The preset for ``preset``: a preset object (returned as is), a built-in name (any family,
    :data:`~.zoo.ALL_PRESETS`) or the path of a ``.toml`` preset file. The one place a name the
    user typed becomes a device."""
    from .zoo import ALL_PRESETS
    if isinstance(preset, (ThresholdSwitchPreset, FeFETPreset, MTJPreset, StochasticTSPreset, DendritePreset)):
        return preset
    if isinstance(preset, str) and preset in ALL_PRESETS:
        return ALL_PRESETS[preset]
    if looks_like_file(preset):
        return load_preset(preset)
    raise ParameterError("preset", preset, f"a preset file NAME{PRESET_SUFFIX} or one of {sorted(ALL_PRESETS)}")


def load_preset(path):
    """The preset of the file at ``path`` (:func:`load_preset_file` for spreads and uncertainties)."""
    return load_preset_file(path).preset


def load_preset_file(path):
    """Read and validate a preset file -> :class:`PresetDocument` (ParameterError naming file and key)."""
    label = str(path)
    p = Path(path)
    if not p.is_file():
        raise ParameterError("preset", label, f"an existing preset file (*{PRESET_SUFFIX})",
                             why="no such file" if not p.exists() else "not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError("preset", label, "a readable UTF-8 TOML file", why=str(exc)) from None
    return parse_preset_text(text, label)


def _key(label, key):
    return f"{label}: {key}"


def _check_keys(label, where, table, allowed):
    if not isinstance(table, dict):
        raise ParameterError(_key(label, where), table, "a table")
    for k in table:
        if k not in allowed:
            raise ParameterError(_key(label, f"{where}.{k}" if where else k), table[k], ", ".join(allowed),
                                 why="unknown key")


def _text(label, key, value, default=None):
    if value is None:
        if default is None:
            raise ParameterError(_key(label, key), None, "a string", why="missing")
        return default
    if not isinstance(value, str):
        raise ParameterError(_key(label, key), value, "a string")
    return value


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")


def _name(label, key, value, default):
    """A preset name: it becomes part of file names (plots, reports), so no paths or spaces."""
    name = _text(label, key, value, default=default)
    if not _NAME.match(name):
        raise ParameterError(_key(label, key), name, "1-64 characters of A-Z a-z 0-9 . _ + - (not starting with . _ + -)")
    return name


def _assumed(label, key, value, fields):
    if value is None:
        return ()
    if not isinstance(value, list) or any(not isinstance(a, str) for a in value):
        raise ParameterError(_key(label, key), value, "a list of parameter names")
    for a in value:
        if a not in fields:
            raise ParameterError(_key(label, key), a, ", ".join(fields), why="not a parameter of this family")
    return tuple(value)


def _parameters(label, where, table, fields):
    if table is None:
        raise ParameterError(_key(label, where), None, "a [parameters] table", why="missing")
    _check_keys(label, where, table, fields)
    values = {}
    for f in fields:
        if f not in table:
            raise ParameterError(_key(label, f"{where}.{f}"), None, f"a value in {unit_of(f) or 'no unit'}",
                                 why="missing")
        values[f] = parse_quantity(_key(label, f"{where}.{f}"), table[f], unit_of(f))
    return values


def _build(label, where, make):
    """Construct a preset, re-raising its own validation error on the file's key."""
    try:
        return make()
    except ParameterError as exc:
        raise ParameterError(_key(label, f"{where}.{exc.field}"), exc.value, exc.allowed, why=exc.why) from None


def parse_preset_text(text, label="<preset>"):
    """Parse preset-file ``text`` (``label`` names it in errors) -> :class:`PresetDocument`."""
    from .zoo import FAMILIES, register_family
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(_key(label, "TOML"), str(exc), "a valid TOML document") from None
    _check_keys(label, "", doc, _TOP_KEYS)
    family = doc.get("family")
    if family not in FAMILIES:
        raise ParameterError(_key(label, "family"), family, " | ".join(FAMILIES),
                             why="missing" if family is None else None)
    fields = FAMILY_FIELDS[family]
    name = _name(label, "name", doc.get("name"), default=Path(label).stem)
    source = _text(label, "source", doc.get("source"), default="")
    assumed = _assumed(label, "assumed", doc.get("assumed"), fields)
    if family != "stochastic" and "circuit" in doc:
        raise ParameterError(_key(label, "circuit"), "...", "only in a stochastic preset", why="unknown key")
    values = _parameters(label, "parameters", doc.get("parameters"), fields)
    if family in ("ts", "oscillator"):
        preset = _build(label, "parameters", lambda: ThresholdSwitchPreset(name=name, **values, source=source,
                                                                           assumed=assumed))
    elif family in ("fefet", "afefet"):
        preset = _build(label, "parameters", lambda: FeFETPreset(name=name, kind=_KIND[family], **values,
                                                                 source=source, assumed=assumed))
    elif family == "mtj":
        preset = _build(label, "parameters", lambda: MTJPreset(name=name, **values, source=source, assumed=assumed))
    elif family == "dendrite":
        preset = _build(label, "parameters", lambda: DendritePreset(name=name, **values, source=source,
                                                                    assumed=assumed))
    else:
        c = doc.get("circuit")
        if c is None:
            raise ParameterError(_key(label, "circuit"), None, "a [circuit] table (the threshold-switch circuit)",
                                 why="missing")
        _check_keys(label, "circuit", c, _CIRCUIT_KEYS)
        c_values = _parameters(label, "circuit.parameters", c.get("parameters"), CIRCUIT_FIELDS)
        c_name = _name(label, "circuit.name", c.get("name"), default=name + "-circuit")
        circuit = _build(label, "circuit.parameters", lambda: ThresholdSwitchPreset(
            name=c_name, **c_values, source=_text(label, "circuit.source", c.get("source"), default=""),
            assumed=_assumed(label, "circuit.assumed", c.get("assumed"), CIRCUIT_FIELDS)))
        preset = _build(label, "parameters", lambda: StochasticTSPreset(name=name, circuit=circuit, **values,
                                                                        source=source, assumed=assumed))
    # a stochastic preset's spreads and uncertainties may name its circuit's values too
    described = fields + (CIRCUIT_FIELDS if family == "stochastic" else ())
    spread = _spread(label, doc.get("spread"), described)
    uncertainty = _uncertainty(label, doc.get("uncertainty"), described)
    preset = register_family(preset, family)
    return PresetDocument(preset, family, spread, uncertainty, label)


def _spread(label, table, fields):
    if table is None:
        return {}
    _check_keys(label, "spread", table, fields)
    out = {}
    for f, kinds in table.items():
        _check_keys(label, f"spread.{f}", kinds, SPREAD_KINDS)
        out[f] = {}
        for kind, v in kinds.items():
            key = _key(label, f"spread.{f}.{kind}")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1:
                raise ParameterError(key, v, "a relative sigma, 0 <= sigma < 1 (a fraction of the value)")
            out[f][kind] = float(v)
    return out


def _uncertainty(label, table, fields):
    if table is None:
        return {}
    _check_keys(label, "uncertainty", table, fields)
    out = {}
    for f, v in table.items():
        key = _key(label, f"uncertainty.{f}")
        x = parse_quantity(key, v, unit_of(f))
        if not x >= 0 or math.isinf(x):
            raise ParameterError(key, v, ">= 0 and finite (a 1-sigma uncertainty)")
        out[f] = x
    return out


# ------------------------------------------------------------------------------------------------
def _fields_of(preset, family):
    return {f: getattr(preset, f) for f in FAMILY_FIELDS[family]}


def _document(preset, family, spread=None, uncertainty=None):
    """The TOML-ready dict of a preset (``family``: its family, :func:`~.zoo.family_of` when None)."""
    from .zoo import family_of
    family = family or family_of(preset)
    doc = {"name": preset.name, "family": family, "source": preset.source, "assumed": list(preset.assumed),
           "parameters": {f: format_quantity(v, unit_of(f)) for f, v in _fields_of(preset, family).items()}}
    if family == "stochastic":
        c = preset.circuit
        doc["circuit"] = {"name": c.name, "source": c.source, "assumed": list(c.assumed),
                          "parameters": {f: format_quantity(getattr(c, f), unit_of(f)) for f in CIRCUIT_FIELDS}}
    if spread:
        doc["spread"] = {f: {k: float(v) for k, v in kinds.items()} for f, kinds in spread.items()}
    if uncertainty:
        doc["uncertainty"] = {f: format_quantity(v, unit_of(f)) for f, v in uncertainty.items()}
    return doc


def dump_preset(preset, family=None, spread=None, uncertainty=None, header=None):
    """A preset (any family) as preset-file text; :func:`parse_preset_text` reads it back equal."""
    import tomli_w
    lines = [f"# {line}" for line in (header or "neuroxide device preset (docs/devices.md)").splitlines()]
    return "\n".join(lines) + "\n" + tomli_w.dumps(_document(preset, family, spread, uncertainty))


def export_preset(preset, path, family=None, spread=None, uncertainty=None, header=None, field_name="path"):
    """Write :func:`dump_preset` to ``path`` atomically (whole or not at all); returns the path."""
    from neuroxide.fileio import write_text
    if Path(path).suffix.lower() != PRESET_SUFFIX:
        raise ParameterError(field_name, str(path), f"a file name ending in {PRESET_SUFFIX}")
    write_text(path, dump_preset(preset, family, spread, uncertainty, header), field=field_name)
    return str(path)

