"""A device preset's float physics beside its calibrated fixed-point neuron, for every family.

Each family of the neuron zoo (``neuroxide.models.devices.zoo``) has its own comparison:

* ``ts`` (nbox, vo2, ag-hfalox, ag-sio2): f-V curve, exact event model vs fixed-point LIF
  (``neuroxide.models.calibrate``);
* ``oscillator`` (nbo2-osc): f-V curve across the latch limit (self-protection), latch-aware encoder;
* ``fefet`` / ``afefet``: excitatory pulses to fire vs inhibitory pulse amplitude;
* ``mtj``: rate vs current and a winner-take-all raster of four neurons;
* ``stochastic``: firing probability vs drive (sigmoid), float vs xorshift32 threshold noise;
* ``dendrite``: filtering curve (weak inputs blocked, strong ones integrated) and soma firing;

the non-``ts`` families through ``neuroxide.models.calibrate_zoo``. A preset's circuit values (SI
floats) and calibration widths can be overridden by name (:func:`configure_device` for ``ts``).
"""

import dataclasses
import math
from dataclasses import dataclass, field

from neuroxide.errors import ParameterError
from neuroxide.units import si_float

__all__ = ["SWEEP_MEANING", "SWEEP_KEY", "DT_FAMILIES", "configure_device", "DeviceSetup", "DeviceResult",
           "run_device", "plot_device", "export_device", "DeviceFitSetup", "run_fit", "write_fit"]

SWEEP_MEANING = {
    "ts": "drive Vin (V)", "oscillator": "drive Vin (V)", "stochastic": "drive Vin (V)",
    "fefet": "inhibitory pulse amplitude (V)", "afefet": "inhibitory pulse amplitude (V)",
    "mtj": "drive current (A)", "dendrite": "pulse amplitude (V)",
}
# the calibration option each zoo family's sweep sets
SWEEP_KEY = {"fefet": "v_inh_volt", "afefet": "v_inh_volt", "mtj": "i_amp", "stochastic": "vin_volt",
             "oscillator": "vin_volt", "dendrite": "amplitudes_volt"}
DT_FAMILIES = ("ts", "oscillator", "mtj")  # the others step once per pulse period (or trial)
WIDTH_FAMILIES = ("fefet", "afefet", "mtj", "stochastic", "oscillator")  # zoo families with calibration widths
MAX_SWEEP_POINTS = 1000


def _width_names():
    from neuroxide.models.calibrate import CalibrationWidths
    return [f.name for f in dataclasses.fields(CalibrationWidths)]


def configure_device(preset_name, overrides=None):
    """A threshold-switch preset (a name or a preset file, ``ts`` or ``oscillator`` family) with overrides of its circuit values (SI floats) and calibration widths.

    Returns ``(preset, widths)``; the preset's and the widths' own validation names a bad field
    (V_hold >= V_th, a non-positive R or C, an operating range the circuit cannot oscillate over,
    widths too narrow for the threshold ...).
    """
    from neuroxide.models.calibrate import CalibrationWidths
    from neuroxide.models.devices import CIRCUIT_FIELDS, get_preset
    preset = get_preset(preset_name)
    width_names = _width_names()
    device_kw, width_kw = {}, {}
    for name, value in (overrides or {}).items():
        if name in CIRCUIT_FIELDS:
            device_kw[name] = si_float(name, value)
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


def _zoo_widths(preset):
    """The calibration widths a zoo preset calibrates to by default."""
    from neuroxide.models.calibrate import CalibrationWidths
    from neuroxide.models.calibrate_zoo import calibrate_zoo
    p = calibrate_zoo(preset).params
    return CalibrationWidths(v_bits=p.v_bits, in_bits=p.in_bits, decay_bits=p.decay_bits, ref_bits=p.ref_bits)


def _configure_zoo(preset, family, overrides):
    """``(preset, calibration options)`` of a zoo preset with overrides of its device values (SI
    floats) and calibration widths applied."""
    from neuroxide.models.devices.dendrite import DENDRITE_FIELDS
    from neuroxide.models.devices.fefet import FEFET_FIELDS
    from neuroxide.models.devices.mtj import MTJ_FIELDS
    from neuroxide.models.devices.stochastic import STOCHASTIC_FIELDS
    from neuroxide.models.devices.threshold_switch import CIRCUIT_FIELDS
    fields = {"fefet": FEFET_FIELDS, "afefet": FEFET_FIELDS, "mtj": MTJ_FIELDS, "stochastic": STOCHASTIC_FIELDS,
              "dendrite": DENDRITE_FIELDS, "oscillator": CIRCUIT_FIELDS}[family]
    width_names = _width_names() if family in WIDTH_FAMILIES else []
    device_kw, width_kw = {}, {}
    for name, value in overrides.items():
        if name in fields:
            device_kw[name] = si_float(name, value)
        elif name in width_names:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(name, value, "an integer")
            width_kw[name] = value
        else:
            raise ParameterError(name, value, ", ".join(tuple(fields) + tuple(width_names)),
                                 why=f"unknown parameter of {family} preset {preset.name!r}")
    if device_kw:
        assumed = tuple(sorted(set(preset.assumed) | set(device_kw)))
        preset = preset.replace(**device_kw, assumed=assumed) if family != "stochastic" else preset.replace(**device_kw)
    options = {}
    if width_kw:
        options["widths"] = dataclasses.replace(_zoo_widths(preset), **width_kw)
    return preset, options


@dataclass(frozen=True)
class DeviceSetup:
    """``preset``: a preset name of any family or the path of a preset file (``*.toml``); ``overrides``: ``{name: value}`` of its device values
    (SI units) and calibration widths; ``sweep``: ``(start, stop, points)`` of the family's input
    (:data:`SWEEP_MEANING`; None: the family's default); ``dt``: the fixed-point time step in seconds
    (ts, oscillator and mtj families; None: 1/40 of the fastest period)."""

    preset: str
    overrides: dict = field(default_factory=dict)
    sweep: tuple | None = None
    dt: float | None = None

    def __post_init__(self):
        from neuroxide.models.devices.zoo import get_any_preset
        get_any_preset(self.preset)  # unknown name: ParameterError listing every family's presets
        if self.sweep is not None:
            start, stop, points = self.sweep
            if not (0 <= start < stop and math.isfinite(stop)) or not 2 <= points <= MAX_SWEEP_POINTS:
                raise ParameterError("sweep", self.sweep, f"0 <= V0 < V1 (finite) and N in 2..{MAX_SWEEP_POINTS}")

    @property
    def family(self):
        from neuroxide.models.devices.zoo import family_of, get_any_preset
        return family_of(get_any_preset(self.preset))

    @property
    def document(self):
        """The preset file's :class:`~neuroxide.models.devices.preset_file.PresetDocument` (spreads,
        uncertainties) when ``preset`` is a file; None for a built-in name."""
        from neuroxide.models.devices.preset_file import load_preset_file, looks_like_file
        from neuroxide.models.devices.zoo import ALL_PRESETS
        if self.preset in ALL_PRESETS or not looks_like_file(self.preset):
            return None
        return load_preset_file(self.preset)

    def sweep_points(self):
        """The swept inputs (None: the family's default sweep)."""
        import numpy as np
        return None if self.sweep is None else np.linspace(*self.sweep)


@dataclass
class DeviceResult:
    """The preset as calibrated (overrides applied), its calibration (``neuroxide.models.calibrate``
    for ``ts``, ``calibrate_zoo`` for the others) and the energy per spike beside the published one."""

    setup: DeviceSetup
    family: str
    preset: object
    calibration: object
    energy: object

    def to_dict(self):
        p = self.preset
        out = self.calibration.to_dict() | {"source": p.source, "assumed": list(p.assumed), "energy": self.energy}
        if self.family == "ts":
            return out | {"family": "ts", "onset_vin_volt": p.onset_vin_volt, "latch_vin_volt": p.latch_vin_volt}
        return out | {"sweep_meaning": SWEEP_MEANING[self.family]}


def run_device(setup):
    """Calibrate ``setup.preset`` with its overrides, over its sweep -> :class:`DeviceResult`."""
    family = setup.family
    if family == "ts":
        from neuroxide.models.calibrate import calibrate, sweep
        from neuroxide.models.devices import energy_comparison
        preset, widths = configure_device(setup.preset, setup.overrides)
        vins = setup.sweep_points()
        cal = calibrate(preset, dt=setup.dt, widths=widths)
        if vins is not None:
            cal = sweep(cal, vins)
        return DeviceResult(setup, family, preset, cal, energy_comparison(preset))
    from neuroxide.models.calibrate_zoo import calibrate_zoo
    from neuroxide.models.devices.zoo import get_any_preset, model_energy_joule, zoo_energy_table
    preset, options = _configure_zoo(get_any_preset(setup.preset), family, setup.overrides)
    if setup.dt is not None:
        if family not in DT_FAMILIES:
            raise ParameterError("dt", setup.dt, "only for ts, oscillator and mtj presets",
                                 why=f"one step of a {family} neuron is one pulse period (or one trial)")
        options["dt"] = setup.dt
    if setup.sweep is not None:
        options[SWEEP_KEY[family]] = setup.sweep_points()
    cal = calibrate_zoo(preset, **options)
    published = [r for r in zoo_energy_table() if r["preset"] == preset.name]
    e_model, where = model_energy_joule(preset)
    energy = {"model_energy_joule": e_model, "operating_point": where,
              "published_energy_joule": published[0]["published_energy_joule"] if published else None,
              "published_source": published[0]["published_source"] if published else None}
    return DeviceResult(setup, family, preset, cal, energy)


def plot_device(result, path):
    """The family's float-vs-fixed figure as a PNG at ``path``."""
    if result.family == "ts":
        from neuroxide.models.calibrate import plot_fv
        return plot_fv(result.calibration, path)
    from neuroxide.models.calibrate_zoo import plot_zoo
    return plot_zoo(result.calibration, path)


def export_device(preset, overrides, path):
    """Write ``preset`` (name or file) with ``overrides`` of its device values (SI floats) as a
    preset file at ``path`` -> ``{preset, family, export}``. Calibration widths are no device values
    and are refused; a file's own spreads and uncertainties are kept."""
    from neuroxide.models.devices.preset_file import export_preset, load_preset_file, looks_like_file
    from neuroxide.models.devices.zoo import ALL_PRESETS, family_of, get_any_preset
    p = get_any_preset(preset)
    family = family_of(p)
    widths = _width_names()
    for name in overrides:
        if name in widths:
            raise ParameterError(name, overrides[name], "device values only", why="a calibration width is no part of "
                                 "a preset file (give it with -p when the file is used)")
    if family == "ts":
        p, _ = configure_device(preset, overrides)
    elif overrides:
        p, _ = _configure_zoo(p, family, overrides)
    doc = load_preset_file(preset) if preset not in ALL_PRESETS and looks_like_file(preset) else None
    out = export_preset(p, path, family, spread=doc.spread if doc else None,
                        uncertainty=doc.uncertainty if doc and not overrides else None,
                        header=f"neuroxide device preset (docs/devices.md), exported from {preset}"
                        + (" with " + ", ".join(f"{k}={v}" for k, v in overrides.items()) if overrides else ""))
    return {"preset": p.name, "family": family, "export": out}


@dataclass(frozen=True)
class DeviceFitSetup:
    """``paths``: measurement CSVs; ``family``: one of ``FIT_FAMILIES``; ``base``: the preset (name
    or file) giving the values the data do not determine (None: the family's default); ``name``: the
    fitted preset's name (None: the first file's name)."""

    paths: tuple
    family: str
    base: str | None = None
    name: str | None = None

    def __post_init__(self):
        from neuroxide.models.devices.fit import FIT_FAMILIES
        from neuroxide.models.devices.preset_file import resolve_preset
        if self.family not in FIT_FAMILIES:
            raise ParameterError("family", self.family, " | ".join(FIT_FAMILIES))
        if not self.paths:
            raise ParameterError("paths", self.paths, "one or more measurement CSV files")
        if self.base is not None:
            resolve_preset(self.base)


def run_fit(setup):
    """Fit ``setup`` -> :class:`~neuroxide.models.devices.fit.FitResult` (nothing written)."""
    from neuroxide.models.devices.fit import fit_device
    return fit_device(list(setup.paths), setup.family, setup.base, setup.name)


def write_fit(result, preset_path=None, plot_path=None):
    """Write the fitted preset file (with its spreads and uncertainties) and the plot, each whole or
    not at all -> ``{"preset": path, "plot": path}`` of what was written."""
    from neuroxide.models.devices.fit import fit_header, plot_fit
    from neuroxide.models.devices.preset_file import export_preset
    written = {}
    if preset_path is not None:
        unc = {k: v for k, v in result.sigma.items()}
        # a spread the data cannot tell (d2d of one device: infinite sigma) is not written
        spread = {k: {kind: v for kind, v in kinds.items() if math.isfinite(result.spread_sigma[k][kind])}
                  for k, kinds in result.spread.items()}
        spread = {k: kinds for k, kinds in spread.items() if kinds}
        written["preset"] = export_preset(result.preset, preset_path, result.family, spread=spread or None,
                                          uncertainty=unc, header=fit_header(result), field_name="preset_path")
    if plot_path is not None:
        written["plot"] = plot_fit(result, plot_path, field_name="plot_path")
    return written
