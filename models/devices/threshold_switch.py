"""Threshold-switching (TS, volatile) memristor LIF neuron: exact event-driven circuit model.

Circuit (docs/physics.md, "Threshold-switching memristor LIF")::

    Vin --R_L--+-- node V --+
               |            |
               C          TS device (R_off | R_on)
               |            |
              GND          R_S (sense resistor, output current read here)
                            |
                           GND

The TS device is a two-state resistor. Its own voltage is ``V_dev = V * R_dev / (R_dev + R_S)``.
Off (``R_off``), it turns on when ``V_dev`` reaches ``V_th``; on (``R_on``), it turns off when
``V_dev`` falls to ``V_hold``. In node-voltage terms, with ``R_S`` taken exactly::

    V_th_node   = V_th   * (R_off + R_S) / R_off        turn-on level of the node
    V_hold_node = V_hold * (R_on  + R_S) / R_on         turn-off level of the node

Between switching events the node obeys a linear first-order ODE,
``C dV/dt = (Vin - V)/R_L - V/(R_dev + R_S)``, whose solution for constant ``Vin`` is::

    V(t) = V_inf + (V(t0) - V_inf) exp(-(t - t0)/tau)
    V_inf = Vin (R_dev + R_S) / (R_L + R_dev + R_S),    tau = C (R_L || (R_dev + R_S))

so the model is simulated exactly, event by event: each switching time is the closed-form
crossing time of that exponential, and nothing is ever stepped.

Under constant drive the orbit is periodic (``V_off``/``tau_off`` with ``R_dev = R_off``,
``V_on``/``tau_on`` with ``R_dev = R_on``)::

    t_int  = tau_off ln[(V_off - V_hold_node) / (V_off - V_th_node)]    charging (device off)
    t_fire = tau_on  ln[(V_th_node - V_on) / (V_hold_node - V_on)]      firing (device on)
    f      = 1 / (t_int + t_fire)

It oscillates only when ``V_off > V_th_node`` (else the node never reaches threshold) and
``V_on < V_hold_node`` (else the device latches on after its first spike). With ``R_S = 0`` this
is literally docs/physics.md's formula. The two conditions bound the oscillating drive range
``onset_vin_volt < Vin < latch_vin_volt``; a non-empty range needs the load line through the
negative-resistance region, ``R_L > (V_th_node - V_hold_node) / (I_hold - I_th)``.

Energies (analytic integrals of ``V(t) = a + b e^{-s/tau}`` over each segment):

* ``branch energy per spike``: energy dissipated in the device branch (TS device + R_S) during
  the on phase, ``int V^2 / (R_on + R_S) dt`` from turn-on to turn-off;
* ``supply energy per period``: energy delivered by the source over one period,
  ``int Vin (Vin - V) / R_L dt``.
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError

__all__ = [
    "CIRCUIT_FIELDS",
    "ThresholdSwitchPreset",
    "ThresholdSwitchRun",
    "simulate",
    "analytic_rate_hz",
    "analytic_timing_s",
    "analytic_branch_energy_per_spike_joule",
    "analytic_supply_energy_per_period_joule",
    "f_v_curve",
    "CIRCUIT_FIELDS",
]

# Fields that hold a circuit value (the ones that may be listed in ``assumed``).
CIRCUIT_FIELDS = (
    "r_load_ohm", "c_farad", "r_off_ohm", "r_on_ohm", "r_sense_ohm",
    "v_th_volt", "v_hold_volt", "vin_min_volt", "vin_max_volt",
)


@dataclass(frozen=True)
class ThresholdSwitchPreset:
    """Circuit values of one TS neuron (SI units) and where they come from.

    ``vin_min_volt..vin_max_volt`` is the operating range used by calibration and sweeps; it must
    lie strictly inside the oscillating range. ``source`` cites the paper(s); ``assumed`` lists
    the fields whose values are not published (chosen or fitted, see presets.py).
    """

    name: str
    r_load_ohm: float
    c_farad: float
    r_off_ohm: float
    r_on_ohm: float
    r_sense_ohm: float
    v_th_volt: float
    v_hold_volt: float
    vin_min_volt: float
    vin_max_volt: float
    source: str = ""
    assumed: tuple = ()
    # the zoo's ``oscillator`` family (a TS relaxation oscillator used as an oscillator neuron, e.g.
    # nbo2-osc) rather than the ``ts`` neuron family: same circuit, another calibration
    oscillator: bool = False

    def __post_init__(self):
        if not isinstance(self.oscillator, bool):
            raise ParameterError("oscillator", self.oscillator, "True or False")
        for name in CIRCUIT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(value):
                raise ParameterError(name, value, "a finite number")
            object.__setattr__(self, name, float(value))
        if not isinstance(self.assumed, (tuple, list)) or any(a not in CIRCUIT_FIELDS for a in self.assumed):
            raise ParameterError("assumed", self.assumed, f"a tuple of names from {list(CIRCUIT_FIELDS)}")
        object.__setattr__(self, "assumed", tuple(self.assumed))
        self.validate()

    def validate(self):
        """Raise :class:`ParameterError` naming the first field outside its allowed range."""
        for name in ("r_load_ohm", "c_farad", "r_off_ohm", "r_on_ohm", "v_th_volt", "v_hold_volt"):
            if getattr(self, name) <= 0:
                raise ParameterError(name, getattr(self, name), "> 0")
        if self.r_sense_ohm < 0:
            raise ParameterError("r_sense_ohm", self.r_sense_ohm, ">= 0")
        if self.r_on_ohm >= self.r_off_ohm:
            raise ParameterError("r_on_ohm", self.r_on_ohm, f"0 < r_on_ohm < r_off_ohm = {self.r_off_ohm:g}",
                                 "the on state must conduct better than the off state")
        if self.v_hold_volt >= self.v_th_volt:
            raise ParameterError("v_hold_volt", self.v_hold_volt, f"0 < v_hold_volt < v_th_volt = {self.v_th_volt:g}",
                                 "a device that holds above its threshold never turns off")
        # The node must discharge from V_th_node down to V_hold_node; R_S raises V_hold_node.
        slope = self.v_hold_volt / self.r_on_ohm - self.v_th_volt / self.r_off_ohm
        if slope > 0:
            r_sense_max = (self.v_th_volt - self.v_hold_volt) / slope
            if self.r_sense_ohm >= r_sense_max:
                raise ParameterError("r_sense_ohm", self.r_sense_ohm, f"0 <= r_sense_ohm < {r_sense_max:.4g}",
                                     "the sense divider lifts the node hold level above the node threshold")
        # Load-line condition: R_L > (V_th_node - V_hold_node) / (I_hold - I_th).
        i_hold = self.node_v_hold_volt / (self.r_on_ohm + self.r_sense_ohm)
        i_th = self.node_v_th_volt / (self.r_off_ohm + self.r_sense_ohm)
        if i_hold <= i_th:
            raise ParameterError("r_on_ohm", self.r_on_ohm, f"< {self.v_hold_volt / i_th - self.r_sense_ohm:.4g}",
                                 "the hold current must exceed the threshold current for any load to oscillate")
        r_load_min = (self.node_v_th_volt - self.node_v_hold_volt) / (i_hold - i_th)
        if self.r_load_ohm <= r_load_min:
            raise ParameterError("r_load_ohm", self.r_load_ohm, f"> {r_load_min:.4g}",
                                 "the load line must cross the negative-resistance region (onset < latch)")
        onset, latch = self.onset_vin_volt, self.latch_vin_volt
        if not onset < self.vin_min_volt < latch:
            raise ParameterError("vin_min_volt", self.vin_min_volt, f"({onset:.4g}, {latch:.4g}) V",
                                 "the operating range must lie inside the oscillating range")
        if not self.vin_min_volt < self.vin_max_volt < latch:
            raise ParameterError("vin_max_volt", self.vin_max_volt, f"({self.vin_min_volt:.4g}, {latch:.4g}) V",
                                 "the operating range must lie inside the oscillating range")

    def replace(self, **changes):
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    # derived circuit quantities -----------------------------------------------------------------
    @property
    def node_v_th_volt(self):
        """Node voltage at which the device voltage reaches V_th (device off)."""
        return self.v_th_volt * (1.0 + self.r_sense_ohm / self.r_off_ohm)

    @property
    def node_v_hold_volt(self):
        """Node voltage at which the device voltage falls to V_hold (device on)."""
        return self.v_hold_volt * (1.0 + self.r_sense_ohm / self.r_on_ohm)

    @property
    def k_off(self):
        """Divider V_off / Vin with the device off."""
        r = self.r_off_ohm + self.r_sense_ohm
        return r / (self.r_load_ohm + r)

    @property
    def k_on(self):
        """Divider V_on / Vin with the device on."""
        r = self.r_on_ohm + self.r_sense_ohm
        return r / (self.r_load_ohm + r)

    @property
    def tau_off_s(self):
        """Charging time constant C (R_L || (R_off + R_S))."""
        r = self.r_off_ohm + self.r_sense_ohm
        return self.c_farad * self.r_load_ohm * r / (self.r_load_ohm + r)

    @property
    def tau_on_s(self):
        """Discharge time constant C (R_L || (R_on + R_S))."""
        r = self.r_on_ohm + self.r_sense_ohm
        return self.c_farad * self.r_load_ohm * r / (self.r_load_ohm + r)

    def v_off_volt(self, vin_volt):
        """Node asymptote with the device off."""
        return np.asarray(vin_volt, dtype=float) * self.k_off

    def v_on_volt(self, vin_volt):
        """Node asymptote with the device on."""
        return np.asarray(vin_volt, dtype=float) * self.k_on

    @property
    def onset_vin_volt(self):
        """Smallest drive that oscillates (V_off = V_th_node); the rate is 0 at and below it."""
        return self.node_v_th_volt / self.k_off

    @property
    def latch_vin_volt(self):
        """Largest drive that oscillates (V_on = V_hold_node); above it the device latches on."""
        return self.node_v_hold_volt / self.k_on


# ------------------------------------------------------------------------------------------------
# closed-form pieces

# the numeric circuit values of a preset (SI units), in declaration order: what a user may override
CIRCUIT_FIELDS = tuple(f.name for f in dataclasses.fields(ThresholdSwitchPreset)
                       if f.name not in ("name", "source", "assumed", "oscillator"))


def _seg_integrals(a, b, tau, length):
    """(int V ds, int V^2 ds) of V(s) = a + b exp(-s/tau) over 0 <= s <= length (vectorised)."""
    e1 = -np.expm1(-length / tau)          # 1 - exp(-L/tau), accurate for short segments
    e2 = -np.expm1(-2.0 * length / tau)
    i1 = a * length + b * tau * e1
    i2 = a * a * length + 2.0 * a * b * tau * e1 + 0.5 * b * b * tau * e2
    return i1, i2


def analytic_timing_s(preset, vin_volt):
    """(t_int_s, t_fire_s) of the periodic orbit at constant drive (module docstring).

    Vectorised over ``vin_volt``; both are ``inf`` where the circuit does not oscillate.
    """
    p = preset
    vin = np.asarray(vin_volt, dtype=float)
    v_off, v_on = p.v_off_volt(vin), p.v_on_volt(vin)
    vth, vhold = p.node_v_th_volt, p.node_v_hold_volt
    ok = (v_off > vth) & (v_on < vhold)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_int = p.tau_off_s * np.log((v_off - vhold) / (v_off - vth))
        t_fire = p.tau_on_s * np.log((vth - v_on) / (vhold - v_on))
    t_int = np.where(ok, t_int, np.inf)
    t_fire = np.where(ok, t_fire, np.inf)
    if t_int.ndim == 0:
        return float(t_int), float(t_fire)
    return t_int, t_fire


def analytic_rate_hz(preset, vin_volt):
    """Firing rate f = 1 / (t_int + t_fire) at constant drive; 0 where it does not oscillate.

    With ``r_sense_ohm == 0`` this is docs/physics.md's formula term for term. Vectorised.
    """
    t_int, t_fire = analytic_timing_s(preset, vin_volt)
    rate = 1.0 / (np.asarray(t_int) + np.asarray(t_fire))   # 1/inf = 0 outside the range
    return float(rate) if rate.ndim == 0 else rate


def analytic_branch_energy_per_spike_joule(preset, vin_volt):
    """Energy dissipated in the device branch (TS + R_S) during one on phase, J; 0 if no oscillation.

    ``int_0^t_fire V^2/(R_on + R_S) dt`` with ``V = V_on + (V_th_node - V_on) exp(-t/tau_on)``.
    """
    p = preset
    vin = np.asarray(vin_volt, dtype=float)
    _, t_fire = analytic_timing_s(p, vin)
    t_fire = np.asarray(t_fire)
    ok = np.isfinite(t_fire)
    v_on = p.v_on_volt(vin)
    _, i2 = _seg_integrals(v_on, p.node_v_th_volt - v_on, p.tau_on_s, np.where(ok, t_fire, 0.0))
    e = np.where(ok, i2 / (p.r_on_ohm + p.r_sense_ohm), 0.0)
    return float(e) if e.ndim == 0 else e


def analytic_supply_energy_per_period_joule(preset, vin_volt):
    """Energy delivered by the source over one period, ``int Vin (Vin - V)/R_L dt``, J; 0 if none."""
    p = preset
    vin = np.asarray(vin_volt, dtype=float)
    t_int, t_fire = (np.asarray(x) for x in analytic_timing_s(p, vin))
    ok = np.isfinite(t_int)
    t_int, t_fire = np.where(ok, t_int, 0.0), np.where(ok, t_fire, 0.0)
    v_off, v_on = p.v_off_volt(vin), p.v_on_volt(vin)
    i1_off, _ = _seg_integrals(v_off, p.node_v_hold_volt - v_off, p.tau_off_s, t_int)
    i1_on, _ = _seg_integrals(v_on, p.node_v_th_volt - v_on, p.tau_on_s, t_fire)
    e = np.where(ok, vin * (vin * (t_int + t_fire) - i1_off - i1_on) / p.r_load_ohm, 0.0)
    return float(e) if e.ndim == 0 else e


# ------------------------------------------------------------------------------------------------
# event-driven simulation

@dataclass(frozen=True, eq=False)   # holds arrays: compare fields, not objects
class ThresholdSwitchRun:
    """Result of :func:`simulate`: the exact piecewise-exponential node trajectory.

    Segment ``k`` starts at ``seg_t0_s[k]`` with node voltage ``seg_v0_volt[k]`` and relaxes toward
    ``seg_vinf_volt[k]`` with time constant ``seg_tau_s[k]``, device on where ``seg_on[k]``, drive
    ``seg_vin_volt[k]``; it lasts until the next segment starts (the last until ``t_stop_s``).
    ``t_s``, ``v_node_volt``, ``i_device_amp`` are the samples asked for (``None`` if none).
    """

    preset: ThresholdSwitchPreset
    t_stop_s: float
    spike_times_s: np.ndarray       # turn-on events
    turn_off_times_s: np.ndarray
    seg_t0_s: np.ndarray
    seg_v0_volt: np.ndarray
    seg_vinf_volt: np.ndarray
    seg_tau_s: np.ndarray
    seg_on: np.ndarray
    seg_vin_volt: np.ndarray
    t_s: np.ndarray | None = None
    v_node_volt: np.ndarray | None = None
    i_device_amp: np.ndarray | None = None

    # trajectory ---------------------------------------------------------------------------------
    def _segment_of(self, t):
        t = np.asarray(t, dtype=float)
        if t.size and (np.min(t) < 0 or np.max(t) > self.t_stop_s):
            bad = np.min(t) if np.min(t) < 0 else np.max(t)
            raise ParameterError("t_s", float(bad), f"0..{self.t_stop_s:g} s", "outside the simulated interval")
        # the segment that starts last at or before t: a switching instant belongs to the new state
        return t, np.searchsorted(self.seg_t0_s, t, side="right") - 1

    def node_voltage_volt(self, t_s):
        """Node (capacitor) voltage at times ``t_s`` (vectorised)."""
        t, k = self._segment_of(t_s)
        vinf = self.seg_vinf_volt[k]
        return vinf + (self.seg_v0_volt[k] - vinf) * np.exp(-(t - self.seg_t0_s[k]) / self.seg_tau_s[k])

    def device_current_amp(self, t_s):
        """Current through the TS device and R_S at times ``t_s`` (the output spike train)."""
        p = self.preset
        _, k = self._segment_of(t_s)
        r = np.where(self.seg_on[k], p.r_on_ohm, p.r_off_ohm) + p.r_sense_ohm
        return self.node_voltage_volt(t_s) / r

    # spikes and rates ---------------------------------------------------------------------------
    @property
    def n_spikes(self):
        return int(self.spike_times_s.size)

    @property
    def oscillating(self):
        """True when at least two spikes occurred (one full period observed)."""
        return self.n_spikes >= 2

    @property
    def latched(self):
        """True when the run ends with the device on and its drive cannot turn it off."""
        return bool(self.seg_on[-1]) and self.seg_vinf_volt[-1] >= self.preset.node_v_hold_volt

    @property
    def rate_hz(self):
        """Mean firing rate, 1 / mean inter-spike interval; 0 with fewer than two spikes."""
        if self.n_spikes < 2:
            return 0.0
        return (self.n_spikes - 1) / (self.spike_times_s[-1] - self.spike_times_s[0])

    # energies -----------------------------------------------------------------------------------
    def _segment_integrals(self):
        """Per segment: (length, int V dt, int V^2 dt)."""
        ends = np.append(self.seg_t0_s[1:], self.t_stop_s)
        length = ends - self.seg_t0_s
        b = self.seg_v0_volt - self.seg_vinf_volt
        i1, i2 = _seg_integrals(self.seg_vinf_volt, b, self.seg_tau_s, length)
        return length, i1, i2

    @property
    def branch_energy_per_spike_joule(self):
        """Per completed spike: energy dissipated in the device branch (TS + R_S) while on, J."""
        p = self.preset
        n_done = self.turn_off_times_s.size
        if n_done == 0:
            return np.zeros(0)
        _, _, i2 = self._segment_integrals()
        on = self.seg_on & (self.seg_t0_s < self.turn_off_times_s[-1])
        # each on segment belongs to the latest turn-on at or before its start
        owner = np.searchsorted(self.spike_times_s, self.seg_t0_s[on], side="right") - 1
        e = np.bincount(owner, weights=i2[on] / (p.r_on_ohm + p.r_sense_ohm), minlength=self.n_spikes)
        return e[:n_done]   # runs start with the device off, so turn-off k ends spike k

    @property
    def mean_branch_energy_per_spike_joule(self):
        """Mean of :attr:`branch_energy_per_spike_joule`; nan when no spike completed."""
        e = self.branch_energy_per_spike_joule
        return float(e.mean()) if e.size else math.nan

    def supply_energy_joule(self, t_s=None):
        """Energy delivered by the source from 0 to ``t_s`` (default ``t_stop_s``), J (vectorised)."""
        t = np.asarray(self.t_stop_s if t_s is None else t_s, dtype=float)
        _, i1, _ = self._segment_integrals()
        ends = np.append(self.seg_t0_s[1:], self.t_stop_s)
        whole = self.seg_vin_volt * (self.seg_vin_volt * (ends - self.seg_t0_s) - i1) / self.preset.r_load_ohm
        before = np.concatenate(([0.0], np.cumsum(whole)))
        t, k = self._segment_of(t)
        part_len = t - self.seg_t0_s[k]
        part_i1, _ = _seg_integrals(self.seg_vinf_volt[k], self.seg_v0_volt[k] - self.seg_vinf_volt[k],
                                    self.seg_tau_s[k], part_len)
        vin = self.seg_vin_volt[k]
        e = before[k] + vin * (vin * part_len - part_i1) / self.preset.r_load_ohm
        return float(e) if e.ndim == 0 else e

    @property
    def supply_energy_per_period_joule(self):
        """Source energy per period between the first and last spike, J; nan with < 2 spikes."""
        if self.n_spikes < 2:
            return math.nan
        e = self.supply_energy_joule(self.spike_times_s[[0, -1]])
        return float((e[1] - e[0]) / (self.n_spikes - 1))


def _check_drive(vin):
    if not np.all(np.isfinite(vin)):
        raise ParameterError("vin_volt", "non-finite", "finite volts >= 0")
    if vin.size and np.min(vin) < 0:
        raise ParameterError("vin_volt", float(np.min(vin)), ">= 0 V",
                             "the model switches on a positive device voltage only")


def simulate(preset, vin_volt, t_stop_s=None, *, bin_s=None, v0_volt=0.0, t_sample_s=None,
             sample_dt_s=None, max_spikes=None):
    """Simulate the TS neuron exactly, event by event.

    ``vin_volt`` is a constant drive (then ``t_stop_s`` is required) or a 1-D array of
    piecewise-constant drives, one per bin of ``bin_s`` seconds (``t_stop_s`` defaults to the
    end of the last bin). The node starts at ``v0_volt`` with the device off. Samples of node
    voltage and device current are taken at ``t_sample_s`` (array) or every ``sample_dt_s`` from 0.
    ``max_spikes`` stops the run at that spike (``t_stop_s`` may then be ``inf``).
    """
    p = preset
    if not isinstance(p, ThresholdSwitchPreset):
        raise ParameterError("preset", type(p).__name__, "a ThresholdSwitchPreset")
    vin = np.asarray(vin_volt, dtype=float)
    _check_drive(vin)
    if max_spikes is not None and (not isinstance(max_spikes, (int, np.integer)) or max_spikes < 1):
        raise ParameterError("max_spikes", max_spikes, "an integer >= 1 or None")
    if vin.ndim == 0:
        if t_stop_s is None or not (t_stop_s > 0) or (math.isinf(t_stop_s) and max_spikes is None):
            raise ParameterError("t_stop_s", t_stop_s, "> 0 s (finite unless max_spikes is given)")
        edges = np.array([0.0, float(t_stop_s)])
        vin = vin.reshape(1)
    elif vin.ndim == 1 and vin.size:
        if bin_s is None or not (bin_s > 0) or not math.isfinite(bin_s):
            raise ParameterError("bin_s", bin_s, "> 0 s", "needed for a piecewise-constant drive")
        edges = np.arange(vin.size + 1) * float(bin_s)
        if t_stop_s is not None:
            if not 0 < t_stop_s <= edges[-1]:
                raise ParameterError("t_stop_s", t_stop_s, f"0 < t_stop_s <= {edges[-1]:g} s (end of the drive)")
            n_bins = int(np.searchsorted(edges[:-1], t_stop_s, side="left"))   # bins starting before the stop
            edges = np.append(edges[:n_bins], float(t_stop_s))
            vin = vin[:n_bins]
    else:
        raise ParameterError("vin_volt", f"shape {vin.shape}", "a number or a non-empty 1-D array")
    if not math.isfinite(v0_volt) or v0_volt < 0:
        raise ParameterError("v0_volt", v0_volt, ">= 0 V")

    vth, vhold = p.node_v_th_volt, p.node_v_hold_volt
    tau = (p.tau_off_s, p.tau_on_s)

    seg = {k: [] for k in ("t0", "v0", "vinf", "tau", "on", "vin")}
    spikes, offs = [], []
    t, v, on = 0.0, float(v0_volt), False
    n_spk = 0
    t_end = edges[-1]

    def open_segment(t0, v0, vinf, is_on, vin_b):
        seg["t0"].append(np.atleast_1d(t0))
        seg["v0"].append(np.broadcast_to(v0, np.shape(np.atleast_1d(t0))))
        seg["vinf"].append(np.broadcast_to(vinf, np.shape(np.atleast_1d(t0))))
        seg["tau"].append(np.broadcast_to(tau[is_on], np.shape(np.atleast_1d(t0))))
        seg["on"].append(np.broadcast_to(is_on, np.shape(np.atleast_1d(t0))))
        seg["vin"].append(np.broadcast_to(vin_b, np.shape(np.atleast_1d(t0))))

    def crossing_delay(v, vinf, is_on):
        """Time until the switching level is reached from v, or inf (closed form)."""
        if not is_on:   # charging toward vinf; turns on at vth
            return tau[0] * math.log((vinf - v) / (vinf - vth)) if vinf > vth else math.inf
        return tau[1] * math.log((v - vinf) / (vhold - vinf)) if vinf < vhold else math.inf

    stop = False
    for b in range(vin.size):
        t_b1 = edges[b + 1]
        vin_b = float(vin[b])
        vinf_b = (vin_b * p.k_off, vin_b * p.k_on)
        open_segment(t, v, vinf_b[on], on, vin_b)
        while True:
            # a state already past its switching level (initial condition) switches at once
            if not on and v >= vth:
                delay = 0.0
            elif on and v <= vhold:
                delay = 0.0
            else:
                delay = crossing_delay(v, vinf_b[on], on)
            if math.isinf(delay) or t + delay > t_b1:
                v = vinf_b[on] + (v - vinf_b[on]) * math.exp(-(t_b1 - t) / tau[on])
                t = t_b1
                break
            t += delay
            if not on:
                v, on = max(v, vth), True
                spikes.append(np.atleast_1d(t))
                n_spk += 1
                if max_spikes is not None and n_spk >= max_spikes:
                    t_end, stop = t, True
                    open_segment(t, v, vinf_b[on], on, vin_b)
                    break
            else:
                v, on = min(v, vhold), False
                offs.append(np.atleast_1d(t))
            open_segment(t, v, vinf_b[on], on, vin_b)
            if not on and v == vhold:
                # From a turn-off the orbit inside this bin is periodic: lay down every whole
                # cycle that fits at once (same closed-form delays, no approximation).
                t_int = crossing_delay(vhold, vinf_b[0], False)
                t_fire = crossing_delay(vth, vinf_b[1], True)
                period = t_int + t_fire
                if math.isfinite(period):
                    # whole cycles that fit, less one kept for the exact loop (unbounded if t_b1 = inf)
                    n = int((t_b1 - t) // period) - 1 if math.isfinite(t_b1) else math.inf
                    if max_spikes is not None:
                        n = min(n, max_spikes - n_spk - 1)
                    if n > 0:
                        k = np.arange(int(n))
                        t_on = t + k * period + t_int
                        t_off = t + (k + 1) * period
                        spikes.append(t_on)
                        offs.append(t_off)
                        n_spk += n
                        open_segment(t_on, vth, vinf_b[1], True, vin_b)
                        open_segment(t_off, vhold, vinf_b[0], False, vin_b)
                        t = float(t_off[-1])   # the exact loop resumes at the last turn-off
        if stop:
            break

    # assemble, keeping segments in time order (bulk cycles interleave on and off segments)
    cat = {k: np.concatenate(v_) for k, v_ in seg.items()}
    order = np.argsort(cat["t0"], kind="stable")
    cat = {k: np.asarray(v_)[order] for k, v_ in cat.items()}
    # a segment of zero length (a switch exactly at a bin edge) never wins searchsorted; drop it
    keep = np.append(cat["t0"][1:] > cat["t0"][:-1], True)
    cat = {k: v_[keep] for k, v_ in cat.items()}
    spike_times = np.sort(np.concatenate(spikes)) if spikes else np.zeros(0)
    off_times = np.sort(np.concatenate(offs)) if offs else np.zeros(0)

    run = ThresholdSwitchRun(
        preset=p, t_stop_s=float(t_end), spike_times_s=spike_times, turn_off_times_s=off_times,
        seg_t0_s=cat["t0"], seg_v0_volt=cat["v0"].astype(float), seg_vinf_volt=cat["vinf"].astype(float),
        seg_tau_s=cat["tau"].astype(float), seg_on=cat["on"].astype(bool), seg_vin_volt=cat["vin"].astype(float),
    )
    if t_sample_s is None and sample_dt_s is not None:
        if not (sample_dt_s > 0) or not math.isfinite(t_end):
            raise ParameterError("sample_dt_s", sample_dt_s, "> 0 s on a finite run")
        # tolerate t_end / dt landing a rounding error below an integer; never sample past t_end
        n = int(math.floor(t_end / sample_dt_s + 1e-9))
        t_sample_s = np.minimum(np.arange(n + 1) * float(sample_dt_s), t_end)
    if t_sample_s is not None:
        t_sample = np.asarray(t_sample_s, dtype=float)
        run = dataclasses.replace(run, t_s=t_sample, v_node_volt=run.node_voltage_volt(t_sample),
                                  i_device_amp=run.device_current_amp(t_sample))
    return run


def f_v_curve(preset, vins_volt, *, method="event", n_spikes=3):
    """Firing rate (Hz) at each constant drive in ``vins_volt``.

    ``method="event"`` runs :func:`simulate` until ``n_spikes`` spikes (or until the state settles:
    no oscillation gives 0); ``method="analytic"`` evaluates :func:`analytic_rate_hz`.
    """
    vins = np.asarray(vins_volt, dtype=float)
    if method == "analytic":
        return np.asarray(analytic_rate_hz(preset, vins), dtype=float)
    if method != "event":
        raise ParameterError("method", method, "event | analytic")
    if not isinstance(n_spikes, (int, np.integer)) or n_spikes < 2:
        raise ParameterError("n_spikes", n_spikes, "an integer >= 2")
    rates = [simulate(preset, float(v), math.inf, max_spikes=n_spikes).rate_hz for v in vins.ravel()]
    return np.asarray(rates, dtype=float).reshape(vins.shape)
