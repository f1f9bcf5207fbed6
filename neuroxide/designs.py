"""Designs the CLI can generate, simulate and build, and their ``-p NAME=VALUE`` parameters.

A design is a gateware generator plus the model it must equal. Parameters are validated here, by
the model's own dataclass, before any file is written: a wrong name or value raises
:class:`~neuroxide.errors.ParameterError` naming it and the allowed range.
"""

import dataclasses
from dataclasses import dataclass

from neuroxide.errors import ParameterError
from neuroxide.models.lif import PARAM_DOCS, LIFParams
from neuroxide.models.stimulus import STIM_DOCS, StimulusParams

__all__ = ["DESIGNS", "DesignConfig", "get_design", "parse_overrides", "configure", "configure_device"]

MAX_NEURONS = 64


@dataclass(frozen=True)
class Design:
    name: str
    summary: str
    model: str
    rtl: str


DESIGNS = {
    "lif": Design(
        name="lif",
        summary="vector of n fixed-point LIF neurons (leak, refractory, exc/inh, adaptation, stochastic threshold)",
        model="neuroxide.models.lif.LIFModel",
        rtl="neuroxide.rtl.lif.LIFNeuronArray",
    ),
}

# parameters of the design itself, beside the neuron's own LIFParams fields
GLOBAL_PARAMS = {
    "n": ("neurons in the array", 1, 1, MAX_NEURONS),
    "seed": ("PRNG seed (threshold noise and on-chip stimulus)", 1, 0, 0xFFFF_FFFF),
}
STIM_PREFIX = "stim_"


@dataclass(frozen=True)
class DesignConfig:
    """A fully validated design configuration."""

    design: str
    params: LIFParams
    n: int
    seed: int
    stimulus: StimulusParams

    def to_dict(self):
        return {"design": self.design, "n": self.n, "seed": self.seed,
                "params": dataclasses.asdict(self.params), "stimulus": dataclasses.asdict(self.stimulus)}


def get_design(name):
    if name not in DESIGNS:
        raise ParameterError("design", name, " | ".join(DESIGNS))
    return DESIGNS[name]


def parameter_table(name):
    """``[(name, default, description)]`` of every ``-p`` parameter of design ``name``."""
    get_design(name)
    rows = [(k, default, f"{doc}, {lo}..{hi}") for k, (doc, default, lo, hi) in GLOBAL_PARAMS.items()]
    for f in dataclasses.fields(LIFParams):
        rows.append((f.name, f.default, PARAM_DOCS[f.name]))
    for f in dataclasses.fields(StimulusParams):
        rows.append((STIM_PREFIX + f.name, f.default, "stimulus (simulate, build): " + STIM_DOCS[f.name]))
    return rows


def _parse_value(name, text):
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
        out[name.strip()] = _parse_value(name, value)
    return out


def configure(design, overrides=None):
    """Validate ``overrides`` (from :func:`parse_overrides`) for ``design`` -> :class:`DesignConfig`."""
    get_design(design)
    overrides = dict(overrides or {})
    lif_names = set(LIFParams.field_names())
    stim_names = {STIM_PREFIX + f.name for f in dataclasses.fields(StimulusParams)}
    known = set(GLOBAL_PARAMS) | lif_names | stim_names
    for name in overrides:
        if name not in known:
            raise ParameterError(name, overrides[name], f"a parameter of design {design!r}: {', '.join(sorted(known))}",
                                 why="unknown parameter")
    glob = {}
    for name, (_, default, lo, hi) in GLOBAL_PARAMS.items():
        value = overrides.get(name, default)
        if not isinstance(value, int) or not lo <= value <= hi:
            raise ParameterError(name, value, f"{lo}..{hi}")
        glob[name] = value
    lif_kw = {k: v for k, v in overrides.items() if k in lif_names}
    for k, v in lif_kw.items():
        if k != "reset_mode" and not (v is None and k == "v_min") and not isinstance(v, int):
            raise ParameterError(k, v, "an integer")
    params = LIFParams(**lif_kw)
    stim = StimulusParams(**{k[len(STIM_PREFIX):]: v for k, v in overrides.items() if k in stim_names})
    stim.validate(params.in_bits)
    return DesignConfig(design, params, glob["n"], glob["seed"], stim)


def elaborate(cfg):
    """The Amaranth component of a :class:`DesignConfig`."""
    from neuroxide.rtl.lif import LIFNeuronArray
    return LIFNeuronArray(cfg.params, cfg.n, cfg.seed)


def to_verilog(cfg, name=None):
    """Deterministic Verilog of the design (no source paths, same text on every machine)."""
    from amaranth.back import verilog
    return verilog.convert(elaborate(cfg), name=name or cfg.design, emit_src=False)




def configure_device(preset_name, overrides=None):
    """A device preset with ``-p`` overrides of its circuit values (SI floats) and calibration widths.

    Returns ``(preset, widths)``; the preset's and the widths' own validation names a bad field
    (V_hold >= V_th, a non-positive R or C, an operating range the circuit cannot oscillate over,
    widths too narrow for the threshold ...).
    """
    from neuroxide.models.calibrate import CalibrationWidths
    from neuroxide.models.devices import CIRCUIT_FIELDS, get_preset
    preset = get_preset(preset_name)
    width_names = [f.name for f in dataclasses.fields(CalibrationWidths)]
    device_kw, width_kw = {}, {}
    for name, value in (overrides or {}).items():
        if name in CIRCUIT_FIELDS:
            try:
                device_kw[name] = float(value)
            except (TypeError, ValueError):
                raise ParameterError(name, value, "a number in SI units (e.g. 1e-9)") from None
        elif name in width_names:
            if not isinstance(value, int):
                raise ParameterError(name, value, "an integer")
            width_kw[name] = value
        else:
            raise ParameterError(name, value, ", ".join(CIRCUIT_FIELDS + tuple(width_names)),
                                 why=f"unknown parameter of device preset {preset_name!r}")
    if device_kw:
        preset = preset.replace(**device_kw, assumed=tuple(sorted(set(preset.assumed) | set(device_kw))))
    return preset, CalibrationWidths(**width_kw)
