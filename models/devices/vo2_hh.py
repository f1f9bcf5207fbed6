"""Two-VO2-channel Hodgkin-Huxley neuron (Pickett-style Mott neuristor, as in Yi et al. 2018): float model.

Circuit (SI units; Pickett, Medeiros-Ribeiro & Williams, Nat. Mater. 12:114 (2013); Yi, Tsang, Lam,
Bai, Crowell & Flores, Nat. Commun. 9:4661 (2018)). Two channels, each a VO2 Mott memristor
``M_i`` with a capacitor ``C_i`` across it, in series with a DC source ``E_i`` to ground (the
reversal potential): channel 1 (Na-like) biased negative, channel 2 (K-like) positive. The input
drives node 1 through ``R_L1``; node 1 drives node 2 (the output, "membrane") through ``R_L2``::

    C1 dV1/dt = (V_in - V1)/R_L1 - (V1 - V2)/R_L2 - (V1 - E1)/R_M1(T1)
    C2 dV2/dt = (V1 - V2)/R_L2 - (V2 - E2)/R_M2(T2)

Each Mott memristor is a Joule-heated VO2 channel whose resistance falls steeply across the
insulator-metal transition (the thermally driven S-type negative differential resistance that makes
the channels active)::

    C_th dT/dt = (V_M)^2 / R_M(T) - (T - T_0) / R_th
    R_M(T)    = R_met + (R_ins - R_met) / (1 + exp((T - T_c) / w))

With a sub-threshold input the nodes sit near rest; above threshold channel 1 (Na) switches
metallic and pulls node 1 toward E1, node 2 follows through R_L2 until channel 2 (K) switches and
pulls it back toward E2; both channels then cool back to insulating (the refractory period), and
under DC drive this repeats as tonic spiking. Measured with the defaults (``neuroxide hh --vo2``,
tests/test_hh.py): no spike at 0.5 V drive; at 1.5 V and 3 V trains of spikes of the same ~1.7 V
amplitude (all-or-nothing) at a rate that rises with the drive.

Limits: a lumped thermal model; the peak channel temperature in the metallic phase runs far above
what a real device sustains (no thermal spreading or R_met(T) here), so read the temperatures as
a switching state, not as physics.

Values: the VO2 transition (T_c = 340 K) is the material's; the resistances, thermal constants and
circuit values are ASSUMED (chosen in the range of the papers' devices: kilo-ohm insulating state,
~100 ohm metallic, nanofarad capacitors, about a volt of bias) so that the circuit spikes; they are
not fitted to a specific published trace. :data:`ASSUMED` lists them.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from neuroxide.errors import ParameterError

__all__ = ["VO2Channel", "VO2Neuristor", "DEFAULT", "ASSUMED", "simulate", "spike_times"]


@dataclass(frozen=True)
class VO2Channel:
    """One Joule-heated VO2 Mott memristor."""

    r_ins_ohm: float = 20e3       # insulating resistance below T_c
    r_met_ohm: float = 200.0      # metallic resistance above T_c
    t_c_kelvin: float = 340.0     # insulator-metal transition of VO2
    width_kelvin: float = 2.0     # transition width
    t_ambient_kelvin: float = 300.0
    r_th_k_per_w: float = 2.0e5   # thermal resistance to the substrate
    c_th_j_per_k: float = 5.0e-13  # thermal capacitance (tau_th = 100 ns)

    def resistance_ohm(self, t_kelvin):
        z = np.clip((np.asarray(t_kelvin) - self.t_c_kelvin) / self.width_kelvin, -60, 60)
        return self.r_met_ohm + (self.r_ins_ohm - self.r_met_ohm) / (1 + np.exp(z))


@dataclass(frozen=True)
class VO2Neuristor:
    """The two-channel circuit (see module docstring)."""

    na: VO2Channel = field(default_factory=VO2Channel)
    k: VO2Channel = field(default_factory=VO2Channel)
    c1_farad: float = 1.0e-9
    c2_farad: float = 1.0e-9
    r_l1_ohm: float = 10.0e3
    r_l2_ohm: float = 2.0e3
    e1_volt: float = -1.5
    e2_volt: float = 1.5

    def validate(self):
        for name in ("c1_farad", "c2_farad", "r_l1_ohm", "r_l2_ohm"):
            if not getattr(self, name) > 0:
                raise ParameterError(name, getattr(self, name), "> 0")
        for ch in (self.na, self.k):
            if not 0 < ch.r_met_ohm < ch.r_ins_ohm:
                raise ParameterError("r_met_ohm", ch.r_met_ohm, f"0 < r_met_ohm < r_ins_ohm = {ch.r_ins_ohm}")
        return self

    def replace(self, **changes):
        return replace(self, **changes).validate()


DEFAULT = VO2Neuristor()
MIN_SPIKE_VOLT = 0.5
ASSUMED = ("r_ins_ohm", "r_met_ohm", "width_kelvin", "r_th_k_per_w", "c_th_j_per_k", "c1_farad", "c2_farad",
           "r_l1_ohm", "r_l2_ohm", "e1_volt", "e2_volt")


def _derivatives(c, v_in):
    def f(_t, y):
        v1, v2, t1, t2 = y
        r1, r2 = c.na.resistance_ohm(t1), c.k.resistance_ohm(t2)
        i_l1 = (v_in - v1) / c.r_l1_ohm
        i_l2 = (v1 - v2) / c.r_l2_ohm
        i_m1 = (v1 - c.e1_volt) / r1
        i_m2 = (v2 - c.e2_volt) / r2
        return [(i_l1 - i_l2 - i_m1) / c.c1_farad,
                (i_l2 - i_m2) / c.c2_farad,
                ((v1 - c.e1_volt) * i_m1 - (t1 - c.na.t_ambient_kelvin) / c.na.r_th_k_per_w) / c.na.c_th_j_per_k,
                ((v2 - c.e2_volt) * i_m2 - (t2 - c.k.t_ambient_kelvin) / c.k.r_th_k_per_w) / c.k.c_th_j_per_k]
    return f


def spike_times(t_s, v_out_volt, threshold_volt):
    """Times of upward crossings of ``threshold_volt``."""
    above = v_out_volt >= threshold_volt
    idx = np.flatnonzero(~above[:-1] & above[1:]) + 1
    return t_s[idx]


def simulate(circuit=DEFAULT, drive_volt=1.0, duration_s=50e-6, points=5000, settle_s=0.0):
    """Integrate the circuit under a DC input ``drive_volt`` (stiff solver) -> dict with ``t_s``,
    ``v_out_volt`` (node 2), ``v1_volt``, ``t1_kelvin``, ``t2_kelvin``, ``spikes``, ``rate_hz``,
    ``spike_amplitude_volt`` (peak-to-trough of the output after the first spike), ``drive_volt``.

    Spikes are upward crossings of the midpoint between the output's rest level (before the input
    switches on) and its maximum.
    """
    from scipy.integrate import solve_ivp
    circuit.validate()
    if not duration_s > 0 or not 10 <= points <= 10**6:
        raise ParameterError("duration_s/points", (duration_s, points), "duration_s > 0, points 10..1e6")
    t0 = circuit.na.t_ambient_kelvin
    # rest: the circuit's state with no input, found by integrating long enough to settle
    rest = solve_ivp(_derivatives(circuit, 0.0), (0, 20e-6), [0.0, 0.0, t0, t0], method="LSODA",
                     rtol=1e-8, atol=[1e-9, 1e-9, 1e-6, 1e-6], max_step=50e-9)
    y0 = rest.y[:, -1]
    t_eval = np.linspace(0, duration_s, points)
    sol = solve_ivp(_derivatives(circuit, drive_volt), (0, duration_s), y0, method="LSODA", t_eval=t_eval,
                    rtol=1e-8, atol=[1e-9, 1e-9, 1e-6, 1e-6], max_step=duration_s / points)
    v_out = sol.y[1]
    rest_v = float(y0[1])
    top = float(np.max(v_out))
    threshold = rest_v + 0.5 * (top - rest_v)
    # a spike is a full excursion (> MIN_SPIKE_VOLT); the small step response to the input is not
    times = spike_times(sol.t, v_out, threshold) if top - rest_v > MIN_SPIKE_VOLT else np.array([])
    rate = float((len(times) - 1) / (times[-1] - times[0])) if len(times) > 1 else 0.0
    tail = v_out[sol.t >= times[0]] if len(times) else v_out
    return {"t_s": sol.t, "v_out_volt": v_out, "v1_volt": sol.y[0], "t1_kelvin": sol.y[2], "t2_kelvin": sol.y[3],
            "spikes": int(len(times)), "spike_times_s": times, "rate_hz": rate,
            "spike_amplitude_volt": float(np.ptp(tail)), "rest_volt": rest_v, "drive_volt": drive_volt}
