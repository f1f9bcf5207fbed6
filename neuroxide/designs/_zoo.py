"""Shared helper of the zoo's LIF-mapped designs (``fefet``, ``afefet``, ``mtj``, ``stochastic-ts``,
``nbo2-osc``): the ``lif`` design with a device preset's calibrated parameters as defaults.

Each is :class:`~neuroxide.designs.lif.LIFDesign` unchanged -- same RTL (``LIFNeuronArray``), same
cocotb bench, same board top -- except that ``-p`` overrides start from the calibration of the
preset (``neuroxide.models.calibrate_zoo``) instead of ``LIFParams()``, and the on-chip stimulus
amplitudes are scaled to the calibrated drive (about twice the largest calibrated ``i_exc``), so
the proof exercises the calibrated neuron across and beyond its operating range.
"""

import dataclasses
import functools

from neuroxide.designs.lif import STIM_PREFIX, LIFDesign
from neuroxide.errors import ParameterError
from neuroxide.models.lif import LIFParams
from neuroxide.models.stimulus import StimulusParams

__all__ = ["ZooLIFDesign"]


@functools.lru_cache(maxsize=None)
def _calibration(preset):
    from neuroxide.models.calibrate_zoo import calibrate_zoo
    return calibrate_zoo(preset)


def _device(design, value):
    """The preset ``-p preset=VALUE`` names (a preset name or a preset file), of the design's family."""
    from neuroxide.models.devices.zoo import family_of, get_any_preset
    want = family_of(get_any_preset(design.preset))
    if not isinstance(value, str):
        raise ParameterError("preset", value, f"a {want} preset name or preset file NAME.toml")
    preset = get_any_preset(value)
    if family_of(preset) != want:
        raise ParameterError("preset", value, f"a {want} preset (name or file); this one is {family_of(preset)}",
                             why=f"the {design.name} design is calibrated from {want} devices")
    return preset


class ZooLIFDesign(LIFDesign):
    """``lif`` with the calibrated parameters of device preset ``preset`` as defaults; ``-p preset=``
    another preset of the same family (a name or the user's preset file) calibrates from that one."""

    def __init__(self, name, preset, summary):
        self.name, self.preset, self.summary = name, preset, summary

    def calibrated_params(self, preset=None):
        return _calibration(preset or self.preset).params

    def default_stimulus(self, preset=None):
        cal = _calibration(preset or self.preset)
        p = cal.params
        drives = [int(x) for key in ("i_exc", "i_inh") for x in cal.curve.get(key, [])] + [int(cal.extra.get("i_exc", 0))]
        exc_bits = min(p.in_bits, max(1, max(drives)).bit_length() + 1)
        return StimulusParams(p_exc=160, p_inh=64, exc_bits=exc_bits, inh_bits=max(0, exc_bits - 2))

    def parameter_table(self):
        rows = super().parameter_table()
        p, s = self.calibrated_params(), self.default_stimulus()
        out = []
        for name, default, doc in rows:
            if hasattr(p, name):
                default = getattr(p, name)
            elif name.startswith(STIM_PREFIX) and hasattr(s, name[len(STIM_PREFIX):]):
                default = getattr(s, name[len(STIM_PREFIX):])
            out.append((name, default, doc))
        out.append(("preset", self.preset, "device the defaults are calibrated from: a preset of the same "
                    "family, by name or preset file NAME.toml (neuroxide device fit / --export)"))
        return out

    def configure(self, overrides):
        overrides = dict(overrides)
        device = _device(self, overrides.pop("preset")) if "preset" in overrides else None
        base = super().configure({k: v for k, v in overrides.items()
                                  if k not in LIFParams.field_names() and not k.startswith(STIM_PREFIX)})
        lif_kw = {k: v for k, v in overrides.items() if k in LIFParams.field_names()}
        for k, v in lif_kw.items():
            if k != "reset_mode" and not (v is None and k == "v_min") and (isinstance(v, bool) or not isinstance(v, int)):
                raise ParameterError(k, v, "an integer")
        params = self.calibrated_params(device).replace(**lif_kw)
        stim_kw = {k[len(STIM_PREFIX):]: v for k, v in overrides.items() if k.startswith(STIM_PREFIX)}
        stim = dataclasses.replace(self.default_stimulus(device), **stim_kw)
        stim.validate(params.in_bits)
        return dataclasses.replace(base, params=params, stimulus=stim)
