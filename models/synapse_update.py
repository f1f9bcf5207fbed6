"""How a memristive synapse's conductance responds to one programming pulse: float models and presets.

A device moves between ``G_min`` and ``G_max`` in ``levels`` identical pulses. Its response is not
linear (the step shrinks as the conductance nears the bound it is pushed towards), potentiation and
depression differ, devices differ from each other, and each pulse's step is noisy -- the behaviour
the memristor learning literature fits and aihwkit/NeuroSim simulate. With ``x = (G - G_min) /
(G_max - G_min)`` in [0, 1] and one pulse worth ``1 / levels`` of the range on a linear device,
the model here is the exponential saturation of NeuroSim (Chen et al., IEEE TCAD 2018)::

    x(P) = (1 - exp(-nu P / levels)) / (1 - exp(-nu))                potentiation, pulse P = 0..levels

so the step at a conductance ``x``, relative to the linear device's ``1 / levels``, is::

    up(x)   = nu_up   (1 - x (1 - e^-nu_up))         / (1 - e^-nu_up)          (nu -> 0: 1)
    down(x) = nu_down (1 - (1 - x)(1 - e^-nu_down))  / (1 - e^-nu_down)        (mirror image)

``nu`` is the non-linearity: 0 a linear device, larger values a device whose step falls
``e^nu``-fold from one bound to the other (soft bounds). ``asymmetry`` scales the depression step
against the potentiation step. ``d2d_sigma`` is the device-to-device spread of the step
(log-normal sigma of a per-device gain), ``c2c_sigma`` the cycle-to-cycle noise of one pulse as a
fraction of the whole range (NeuroSim's definition; ``k`` pulses add ``sqrt(k)`` of it).

Conversion to the learning core's step tables (:meth:`SynapseDevice.tables`): the fixed-point rule
multiplies its step by ``up[w]`` / ``down[w]`` at the present level ``w`` of ``W = 2**weight_bits - 1``
(``neuroxide.models.plasticity.UpdateTables``, ``frac_bits`` fractional bits). The tables sample the
two curves at ``x = w / W``, each normalised to a mean of 1 over the levels (so the rule's learning
rate means the same average step on every device and a sweep compares shapes, not speeds), the
depression table times ``asymmetry``, rounded, capped at the tables' 4x maximum. The per-device
spread maps to the core's per-column gain (``plasticity.column_gains``: one gain per output column,
coarser than one per device). The cycle-to-cycle noise the core has is the stochastic rounding of
each step (``PlasticityParams.stochastic``); the device's larger pulse noise is modelled only by the
float back end (:func:`neuroxide.models.learning.run_float`).

Presets (:data:`PRESETS`): ``ideal`` (linear, symmetric, no spread) and four oxide synapses whose
pulse count, non-linearity label, on/off ratio and cycle-to-cycle noise are the values NeuroSim's
device table lists for them (Chen et al. 2018, citing the device papers below). NeuroSim's
non-linearity *label* is turned into ``nu`` here as ``nu = |label|`` -- an ASSUMED mapping (the label
is defined through a fitted curve parameter not reproduced here): it keeps the ordering and the
up/down contrast of the devices, not their exact curves. Every value the literature does not give
is listed in the preset's ``assumed`` field.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from neuroxide.errors import ParameterError

__all__ = ["SynapseDevice", "PRESETS", "get_preset", "step_up", "step_down", "pulse_response", "device_tables",
           "MAX_NU", "TABLE_MAX"]

MAX_NU = 10.0
TABLE_MAX = 4.0  # plasticity.UpdateTables: at most 4x the nominal step


def _shape(x, nu):
    x = np.asarray(x, dtype=np.float64)
    if nu < 1e-9:
        return np.ones_like(x)
    e = math.exp(-nu)
    return nu * (1.0 - x * (1.0 - e)) / (1.0 - e)


def step_up(x, nu):
    """Potentiation step at conductance ``x`` (0..1) relative to a linear device's (module docstring)."""
    return _shape(x, nu)


def step_down(x, nu):
    """Depression step at conductance ``x`` relative to a linear device's (mirror of :func:`step_up`)."""
    return _shape(1.0 - np.asarray(x, dtype=np.float64), nu)


def pulse_response(nu, levels, direction="up"):
    """Conductance ``x`` after ``0..levels`` identical pulses from the bound (the device's measured
    curve shape): ``(1 - exp(-nu P / levels)) / (1 - exp(-nu))``, rising (up) or falling (down)."""
    p = np.arange(levels + 1) / levels
    x = p if nu < 1e-9 else (1.0 - np.exp(-nu * p)) / (1.0 - math.exp(-nu))
    return x if direction == "up" else 1.0 - x


@dataclass(frozen=True)
class SynapseDevice:
    """A memristive synapse's update behaviour (module docstring); constructing it validates it."""

    name: str
    nonlinearity_up: float = 0.0
    nonlinearity_down: float = 0.0
    asymmetry: float = 1.0
    d2d_sigma: float = 0.0
    c2c_sigma: float = 0.0
    levels: int = 64
    on_off: float | None = None
    material: str = ""
    source: str = ""
    assumed: tuple = field(default=())

    def __post_init__(self):
        for name, lo, hi in (("nonlinearity_up", 0.0, MAX_NU), ("nonlinearity_down", 0.0, MAX_NU),
                             ("asymmetry", 0.25, 2.0), ("d2d_sigma", 0.0, 1.0), ("c2c_sigma", 0.0, 0.5)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise ParameterError(name, value, f"{lo:g}..{hi:g}")
        if isinstance(self.levels, bool) or not isinstance(self.levels, int) or not 2 <= self.levels <= 4096:
            raise ParameterError("levels", self.levels, "2..4096")

    def up(self, x):
        return step_up(x, self.nonlinearity_up)

    def down(self, x):
        return self.asymmetry * step_down(x, self.nonlinearity_down)

    def curves(self, weight_bits):
        """``(up, down)`` float steps at the levels ``0..2**weight_bits-1``, each normalised to mean 1
        (down times ``asymmetry``), before rounding."""
        top = (1 << weight_bits) - 1
        x = np.arange(top + 1) / top
        up = step_up(x, self.nonlinearity_up)
        down = step_down(x, self.nonlinearity_down)
        return up / up.mean(), self.asymmetry * down / down.mean()

    def tables(self, weight_bits=4, frac_bits=8):
        """The learning core's :class:`~neuroxide.models.plasticity.UpdateTables` of this device."""
        return device_tables(self, weight_bits, frac_bits)

    def to_dict(self):
        return {"name": self.name, "material": self.material, "nonlinearity_up": self.nonlinearity_up,
                "nonlinearity_down": self.nonlinearity_down, "asymmetry": self.asymmetry,
                "d2d_sigma": self.d2d_sigma, "c2c_sigma": self.c2c_sigma, "levels": self.levels,
                "on_off": self.on_off, "source": self.source, "assumed": list(self.assumed)}


def device_tables(device, weight_bits=4, frac_bits=8):
    """``UpdateTables`` of ``device`` at ``weight_bits`` (module docstring): integers
    ``round(2**frac_bits * curve)``, capped at ``4 * 2**frac_bits``."""
    from .plasticity import UpdateTables
    if isinstance(weight_bits, bool) or not isinstance(weight_bits, int) or not 1 <= weight_bits <= 8:
        raise ParameterError("weight_bits", weight_bits, "1..8")
    if isinstance(frac_bits, bool) or not isinstance(frac_bits, int) or not 0 <= frac_bits <= 12:
        raise ParameterError("frac_bits", frac_bits, "0..12")
    up, down = device.curves(weight_bits)
    one = 1 << frac_bits
    cap = int(TABLE_MAX * one)
    q = [tuple(int(min(cap, v)) for v in np.floor(c * one + 0.5)) for c in (up, down)]
    tables = UpdateTables(q[0], q[1], frac_bits)
    tables.validate(weight_bits)
    return tables


_NEUROSIM = "values as listed in NeuroSim's device table (Chen et al., IEEE TCAD 37, 3067, 2018)"
_NU = "nu = |NeuroSim non-linearity label| (assumed mapping)"

PRESETS = {
    "ideal": SynapseDevice("ideal", 0.0, 0.0, 1.0, 0.0, 0.0, levels=64, material="ideal linear synapse",
                           source="baseline: constant step, symmetric, no spread, no noise",
                           assumed=("levels",)),
    "ag-asi": SynapseDevice(
        "ag-asi", 2.4, 4.88, 1.0, 0.1, 0.035, levels=97, on_off=12.5, material="Ag:a-Si",
        source=f"Jo et al., Nano Lett. 10, 1297 (2010); {_NEUROSIM}",
        assumed=(_NU, "asymmetry 1 (same pulse count up and down)", "d2d_sigma 0.1")),
    "pcmo": SynapseDevice(
        "pcmo", 3.68, 6.76, 1.0, 0.1, 0.005, levels=50, on_off=6.84, material="Pr0.7Ca0.3MnO3",
        source=f"Park et al., IEDM 2013 (PCMO synapse); {_NEUROSIM}",
        assumed=(_NU, "asymmetry 1 (same pulse count up and down)", "d2d_sigma 0.1",
                 "c2c_sigma 0.005 (listed as < 1 %)")),
    "taox-hfox": SynapseDevice(
        "taox-hfox", 0.04, 0.63, 1.0, 0.1, 0.037, levels=128, on_off=10.0, material="TaOx/HfOx",
        source=f"Wu et al., VLSI Technology 2018 (TaOx/HfOx analog RRAM); {_NEUROSIM}",
        assumed=(_NU, "asymmetry 1 (same pulse count up and down)", "d2d_sigma 0.1")),
    "alox-hfo2": SynapseDevice(
        "alox-hfo2", 1.94, 0.61, 1.0, 0.1, 0.05, levels=40, on_off=4.43, material="AlOx/HfO2",
        source=f"Woo et al., IEEE EDL 37, 994 (2016); {_NEUROSIM}",
        assumed=(_NU, "asymmetry 1 (same pulse count up and down)", "d2d_sigma 0.1")),
}


def get_preset(name):
    """The :class:`SynapseDevice` preset ``name`` (ParameterError naming ``device`` otherwise)."""
    if name not in PRESETS:
        raise ParameterError("device", name, " | ".join(PRESETS))
    return PRESETS[name]
