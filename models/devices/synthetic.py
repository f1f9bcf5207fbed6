"""Synthetic measurements: the example CSVs of ``models/data/measurements`` and their generators.

Each example is a documented physical model plus noise, with fixed seeds, so the files are
reproducible (``python -m neuroxide.models.devices.fit --make-examples DIR`` writes them) and the
fit can be checked against the values that generated them (:data:`EXAMPLES`, each with
``truth``: the generating values the fit must recover, ``spread_truth`` where the model draws
device-to-device and cycle-to-cycle spreads):

* ``ts_iv.csv`` + ``ts_fv.csv``: the two-state threshold switch of :mod:`.threshold_switch`
  (the fitter's own model): 6 devices x 8 cycles of quasi-static sweeps, each device's values
  drawn around the truth (d2d), each cycle's around the device's (c2c), Gaussian current noise;
  the oscillation frequency of device ``d1`` at R_L = 2 kOhm (its own values, analytic rate)
  with 0.5 % Gaussian noise.
* ``fefet_pulses.csv``, ``afefet_pulses.csv``: pulses to fire of :mod:`.fefet`, the activation
  voltage drawn per trial (c2c); non-firing conditions left out.
* ``mtj_pulses.csv``: pulses to fire of the :mod:`.mtj` wall under rectangular current pulses
  (exact piecewise-exponential stepping), the depinning current drawn per trial.
* ``stochastic_p.csv``: binomial firing counts of :func:`.stochastic.firing_probability`.
* ``thermal_iv.csv`` + ``thermal_fv.csv``: a different, smooth model -- a thermally activated
  switch (:func:`thermal_conductance_siemens`): an Arrhenius insulator whose conductance rises
  with the Joule-heated temperature (``C_th dT/dt = I^2 R - (T - T0) / R_th``) and a smooth
  (sigmoid) insulator-metal transition at ``T_c``; sweeps settle ``T`` quasi-statically (the
  hysteresis is its thermal bistability), and the frequencies are ODE simulations of the 1R1C
  circuit with this device (no two-state switching anywhere). The fit's two-state preset must
  reproduce those frequencies within 5 %.
"""

import math

import numpy as np

__all__ = ["EXAMPLES", "THERMAL_MODEL", "thermal_conductance_siemens", "thermal_switch_iv",
           "thermal_switch_rate_hz", "make_examples"]

KB_EV_PER_K = 8.617333262e-5

TS_TRUTH = {"v_th_volt": 1.1, "v_hold_volt": 0.6, "r_off_ohm": 25e3, "r_on_ohm": 400.0, "c_farad": 50e-12}
TS_SPREAD = {"v_th_volt": {"d2d": 0.03, "c2c": 0.02}, "v_hold_volt": {"d2d": 0.03, "c2c": 0.02},
             "r_off_ohm": {"d2d": 0.05, "c2c": 0.02}, "r_on_ohm": {"d2d": 0.04, "c2c": 0.02}}
TS_CIRCUIT = {"r_load_ohm": 2e3, "r_sense_ohm": 10.0}   # R_S of the base preset nbox
FEFET_TRUTH = {"tau0_s": 2e-9, "v_act_volt": 16.0}
AFEFET_TRUTH = {"tau0_s": 1e-9, "v_act_volt": 9.0, "tau_relax_s": 800e-9}
MTJ_TRUTH = {"mobility_m_per_s_per_amp": 2.5e5, "i_dep_amp": 35e-6, "tau_relax_s": 80e-9}
STOCHASTIC_TRUTH = {"v_th_volt": 1.05, "sigma_rel": 0.03}

# the thermally activated switch (a different model from the fitter's two-state one)
THERMAL_MODEL = {"t0_k": 300.0, "ea_ev": 0.12, "r_off0_ohm": 20e3, "r_met_ohm": 350.0, "t_c_k": 700.0, "w_k": 15.0,
                 "r_th_k_per_w": 3.9e5, "tau_th_s": 2e-9, "c_farad": 100e-12, "r_load_ohm": 1e3, "r_sense_ohm": 10.0}

EXAMPLES = {
    "ts": {"files": ("ts_iv.csv", "ts_fv.csv"), "family": "ts", "truth": TS_TRUTH, "spread_truth": TS_SPREAD},
    "fefet": {"files": ("fefet_pulses.csv",), "family": "fefet", "truth": FEFET_TRUTH},
    "afefet": {"files": ("afefet_pulses.csv",), "family": "afefet", "truth": AFEFET_TRUTH},
    "mtj": {"files": ("mtj_pulses.csv",), "family": "mtj", "truth": MTJ_TRUTH},
    "stochastic": {"files": ("stochastic_p.csv",), "family": "stochastic", "truth": STOCHASTIC_TRUTH},
    "thermal": {"files": ("thermal_iv.csv", "thermal_fv.csv"), "family": "oscillator", "truth": None},
}


def _header(lines):
    return "".join(f"# {ln}\n" for ln in lines)


def _write(folder, name, comment, header, rows):
    from neuroxide.fileio import write_text
    text = _header(comment) + ",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    write_text(folder / name, text)


def _g(x):
    return f"{x:.6g}"


def _sweep(v_max, step):
    up = np.round(np.arange(0.0, v_max + step / 2, step), 9)
    return np.concatenate([up, up[-2::-1]])


# ---------------------------------------------------------------------------------- two-state TS
def _ts_examples(folder, seed=20261203):
    from .threshold_switch import ThresholdSwitchPreset, analytic_rate_hz
    rng = np.random.default_rng(seed)
    v = _sweep(1.6, 0.02)
    top = int(np.argmax(v))
    q = ("v_th_volt", "v_hold_volt", "r_off_ohm", "r_on_ohm")
    rows, dev_values = [], {}
    for d in range(6):
        dev = {k: TS_TRUTH[k] * (1 + TS_SPREAD[k]["d2d"] * rng.standard_normal()) for k in q}
        dev_values[f"d{d + 1}"] = dev
        for c in range(8):
            cyc = {k: dev[k] * (1 + TS_SPREAD[k]["c2c"] * rng.standard_normal()) for k in q}
            on = np.zeros(len(v), dtype=bool)
            on[:top + 1] = v[:top + 1] >= cyc["v_th_volt"]
            state = bool(on[top])
            for n in range(top + 1, len(v)):
                state = state and v[n] > cyc["v_hold_volt"]
                on[n] = state
            i = np.where(on, v / cyc["r_on_ohm"], v / cyc["r_off_ohm"])
            i = i * (1 + 0.005 * rng.standard_normal(len(v))) + 2e-8 * rng.standard_normal(len(v))
            rows += [(f"d{d + 1}", str(c), _g(a), _g(b)) for a, b in zip(v, i)]
    _write(folder, "ts_iv.csv", [
        "SYNTHETIC measurement, not a real device: generated by neuroxide.models.devices.synthetic (README.md).",
        "Two-state threshold switch, 6 devices x 8 quasi-static sweeps 0 -> 1.6 V -> 0 in 20 mV steps.",
        "truth: V_th 1.1 V, V_hold 0.6 V, R_off 25 kOhm, R_on 400 Ohm; spreads (relative sigma) d2d 3/3/5/4 %,",
        "c2c 2 % each; current noise 0.5 % + 20 nA (Gaussian); seed 20261203."],
        ("device", "cycle", "v_volt", "i_amp"), rows)
    d1 = dev_values["d1"]
    p = ThresholdSwitchPreset(name="d1", **d1, c_farad=TS_TRUTH["c_farad"], **TS_CIRCUIT, vin_min_volt=1.4,
                              vin_max_volt=2.8)
    vins = np.round(np.arange(1.4, 2.81, 0.2), 6)   # clear of the latch limit (~3.5 V)
    f = np.asarray(analytic_rate_hz(p, vins)) * (1 + 0.005 * rng.standard_normal(len(vins)))
    _write(folder, "ts_fv.csv", [
        "SYNTHETIC measurement: oscillation frequency of device d1 of ts_iv.csv (its own drawn values), 1R1C,",
        "R_L = 2 kOhm, R_S = 10 Ohm, C = 50 pF, analytic rate x (1 + 0.5 % Gaussian noise); seed 20261203."],
        ("device", "vin_volt", "f_hz", "r_load_ohm"),
        [("d1", _g(a), _g(b), _g(TS_CIRCUIT["r_load_ohm"])) for a, b in zip(vins, f)])


# ---------------------------------------------------------------------------------- FeFET / AFeFET
def _fefet_rows(truth, family, amps, widths, inhs, period, trials, c2c, rng):
    rows = []
    for tp in widths:
        for vi in inhs:
            for ve in amps:
                for _ in range(trials):
                    v_act = truth["v_act_volt"] * (1 + c2c * rng.standard_normal())
                    r_e = tp / truth["tau0_s"] * math.exp(-v_act / ve)
                    r_i = tp / truth["tau0_s"] * math.exp(-v_act / vi) if vi > 0 else 0.0
                    a = math.exp(-period / truth["tau_relax_s"]) if family == "afefet" else 1.0
                    s, n = 0.0, 0
                    while s < 1.0 and n < 1000:
                        s = max(0.0, s * a + r_e - r_i)
                        n += 1
                    if s >= 1.0:
                        rows.append((_g(ve), _g(vi), _g(tp), _g(period), str(n)))
    return rows


def _fefet_examples(folder, seed=7):
    rng = np.random.default_rng(seed)
    amps = np.round(np.arange(2.0, 3.01, 0.1), 6)
    rows = _fefet_rows(FEFET_TRUTH, "fefet", amps, (100e-9, 200e-9), (0.0, 1.6), 1e-6, 3, 0.01, rng)
    _write(folder, "fefet_pulses.csv", [
        "SYNTHETIC measurement: pulses to fire of the FeFET model (neuroxide.models.devices.fefet), ferroelectric",
        "(no leak); truth tau0 = 2 ns, v_act = 16 V; v_act drawn per trial with 1 % sigma (c2c); 3 trials per",
        "condition; seed 7 (README.md)."], ("v_exc_volt", "v_inh_volt", "pulse_width_s", "pulse_period_s",
                                            "pulses_to_fire"), rows)
    rng = np.random.default_rng(seed + 1)
    amps = np.round(np.arange(1.5, 2.41, 0.1), 6)
    rows = _fefet_rows(AFEFET_TRUTH, "afefet", amps, (50e-9, 35e-9), (0.0, 1.0), 100e-9, 3, 0.005, rng)
    _write(folder, "afefet_pulses.csv", [
        "SYNTHETIC measurement: pulses to fire of the AFeFET model (neuroxide.models.devices.fefet),",
        "antiferroelectric (leak exp(-T/tau_relax)); truth tau0 = 1 ns, v_act = 9 V, tau_relax = 800 ns; period",
        "100 ns; v_act drawn per trial with 0.5 % sigma; 3 trials per condition, non-firing ones left out; seed 8."],
        ("v_exc_volt", "v_inh_volt", "pulse_width_s", "pulse_period_s", "pulses_to_fire"), rows)


# ---------------------------------------------------------------------------------- MTJ
def _mtj_examples(folder, seed=9):
    from .zoo import ZOO_PRESETS
    track = ZOO_PRESETS["mtj-sot"].track_length_m
    t = MTJ_TRUTH
    rng = np.random.default_rng(seed)
    rows = []
    for tp, period in ((5e-9, 10e-9), (8e-9, 10e-9), (5e-9, 20e-9)):
        for i in np.round(np.arange(80e-6, 200.1e-6, 10e-6), 12):
            for _ in range(3):
                i_dep = t["i_dep_amp"] * (1 + 0.02 * rng.standard_normal())
                x_inf = t["mobility_m_per_s_per_amp"] * max(0.0, i - i_dep) * t["tau_relax_s"]
                a_p, a_r = math.exp(-tp / t["tau_relax_s"]), math.exp(-(period - tp) / t["tau_relax_s"])
                x, n = 0.0, 0
                while n < 1000:
                    n += 1
                    x = a_p * x + (1 - a_p) * x_inf     # during pulse n (exact: constant current)
                    if x >= track:
                        break
                    x *= a_r                              # relaxation until the next pulse
                if x >= track:
                    rows.append((_g(i), _g(tp), _g(period), str(n)))
    _write(folder, "mtj_pulses.csv", [
        "SYNTHETIC measurement: pulses to fire of the SOT-MTJ domain-wall model (neuroxide.models.devices.mtj)",
        "under rectangular current pulses; truth mobility 2.5e5 m/(s A), I_dep 35 uA, tau_relax 80 ns, track 1 um",
        "(the base preset mtj-sot's); I_dep drawn per trial with 2 % sigma; 3 trials per condition, non-firing",
        "ones left out; seed 9."], ("i_amp", "pulse_width_s", "pulse_period_s", "pulses_to_fire"), rows)


# ---------------------------------------------------------------------------------- stochastic
def _stochastic_examples(folder, seed=10):
    from .stochastic import firing_probability
    from .zoo import ZOO_PRESETS
    base = ZOO_PRESETS["nbox-stochastic"]
    p = base.replace(circuit=base.circuit.replace(v_th_volt=STOCHASTIC_TRUTH["v_th_volt"]),
                     sigma_rel=STOCHASTIC_TRUTH["sigma_rel"])
    rng = np.random.default_rng(seed)
    lo, hi = p.vin_range_volt(3.0)
    vins = np.round(np.linspace(lo, hi, 21), 5)
    trials = 400
    fired = rng.binomial(trials, np.asarray(firing_probability(p, vins)))
    _write(folder, "stochastic_p.csv", [
        "SYNTHETIC measurement: single-trial firing counts of the stochastic TS model",
        "(neuroxide.models.devices.stochastic) with the nbox circuit (R_L 2 kOhm, R_off 20 kOhm, R_S 10 Ohm);",
        "truth V_th = 1.05 V, sigma_rel = 0.03; 400 binomial trials per drive; seed 10."],
        ("vin_volt", "trials", "fired"), [(_g(v), str(trials), str(k)) for v, k in zip(vins, fired)])


# ---------------------------------------------------------------------------------- thermal model
def thermal_conductance_siemens(t_k, m=THERMAL_MODEL):
    """``G(T) = G_ins(T) (1 - s) + s / R_met``: Arrhenius insulator ``G_ins = exp(-Ea/k (1/T - 1/T0)) / R_off0``,
    ``s = 1 / (1 + exp(-(T - T_c) / w))`` the smooth insulator-metal fraction."""
    t = np.asarray(t_k, dtype=float)
    g_ins = np.exp(-m["ea_ev"] / KB_EV_PER_K * (1.0 / t - 1.0 / m["t0_k"])) / m["r_off0_ohm"]
    s = 1.0 / (1.0 + np.exp(-(t - m["t_c_k"]) / m["w_k"]))
    return g_ins * (1.0 - s) + s / m["r_met_ohm"]


def _settle(v, t_prev, m):
    """The stable temperature the device relaxes to at constant device voltage ``v`` from ``t_prev``."""
    from scipy.optimize import brentq

    def heat(t):
        return v * v * thermal_conductance_siemens(t, m) * m["r_th_k_per_w"] - (t - m["t0_k"])
    f0 = heat(t_prev)
    if f0 == 0:
        return t_prev
    grid = np.linspace(t_prev, m["t0_k"] if f0 < 0 else 20 * m["t_c_k"], 4001)
    f = heat(grid)
    k = np.flatnonzero(np.sign(f[1:]) != np.sign(f0))
    if k.size == 0:
        return float(grid[-1])
    k = int(k[0])
    return brentq(heat, grid[k], grid[k + 1], xtol=1e-9)


def thermal_switch_iv(v_volt, m=THERMAL_MODEL):
    """Device current over a quasi-static voltage sweep (the temperature settles at every step)."""
    t, out = m["t0_k"], []
    for v in v_volt:
        t = _settle(float(v), t, m)
        out.append(float(v) * float(thermal_conductance_siemens(t, m)))
    return np.asarray(out)


def thermal_switch_rate_hz(vin_volt, m=THERMAL_MODEL, periods=14):
    """Oscillation frequency of the 1R1C circuit with the thermal device, by ODE integration::

        C dV/dt = (Vin - V)/R_L - V/(1/G(T) + R_S),   C_th dT/dt = I^2/G(T) - (T - T0)/R_th

    (``C_th = tau_th / R_th``), counted between upward crossings of ``T_c`` after two settling
    periods; 0 where it does not oscillate."""
    from scipy.integrate import solve_ivp
    c_th = m["tau_th_s"] / m["r_th_k_per_w"]
    c, rl, rs = m["c_farad"], m["r_load_ohm"], m["r_sense_ohm"]

    def rhs(_, y):
        v, t = y
        g = float(thermal_conductance_siemens(t, m))
        i = v / (1.0 / g + rs)
        return [((vin_volt - v) / rl - i) / c, (i * i / g - (t - m["t0_k"]) / m["r_th_k_per_w"]) / c_th]

    def crossing(_, y):
        return y[1] - m["t_c_k"]
    crossing.direction = 1
    tau = c * rl
    sol = solve_ivp(rhs, (0.0, 60 * tau * periods), [0.0, m["t0_k"]], method="LSODA", events=crossing,
                    rtol=1e-9, atol=[1e-10, 1e-7], max_step=tau / 10)
    te = sol.t_events[0]
    if len(te) < 4:
        return 0.0
    te = te[2:periods + 2]
    return (len(te) - 1) / (te[-1] - te[0])


def _thermal_examples(folder):
    m = THERMAL_MODEL
    rng = np.random.default_rng(11)
    v = _sweep(1.6, 0.01)
    rows = []
    for c in range(6):
        mc = dict(m, r_th_k_per_w=m["r_th_k_per_w"] * (1 + 0.01 * rng.standard_normal()))
        i = thermal_switch_iv(v, mc) * (1 + 0.003 * rng.standard_normal(len(v)))
        rows += [("t1", str(c), _g(a), _g(b)) for a, b in zip(v, i)]
    _write(folder, "thermal_iv.csv", [
        "SYNTHETIC measurement from a DIFFERENT model than the fitter's: a smooth, thermally activated switch",
        "(neuroxide.models.devices.synthetic.THERMAL_MODEL: Arrhenius insulator Ea 0.12 eV, R_off0 20 kOhm at",
        "300 K, sigmoid insulator-metal transition at T_c 700 K (width 15 K) to R_met 350 Ohm, R_th 3.9e5 K/W);",
        "6 quasi-static sweeps 0 -> 1.6 V -> 0 in 10 mV steps, R_th drawn per cycle with 1 % sigma, current",
        "noise 0.3 %; seed 11."], ("device", "cycle", "v_volt", "i_amp"), rows)
    vins = np.round(np.arange(1.6, 2.41, 0.1), 6)
    f = np.array([thermal_switch_rate_hz(x, m) for x in vins])
    keep = f > 0
    f = f[keep] * (1 + 0.003 * rng.standard_normal(int(keep.sum())))
    _write(folder, "thermal_fv.csv", [
        "SYNTHETIC measurement from the thermal model of thermal_iv.csv (nominal R_th): 1R1C oscillation",
        "frequency by ODE integration (thermal time constant 2 ns), R_L 1 kOhm, R_S 10 Ohm, C 100 pF;",
        "0.3 % Gaussian noise; seed 11."], ("device", "vin_volt", "f_hz", "r_load_ohm"),
        [("t1", _g(a), _g(b), _g(m["r_load_ohm"])) for a, b in zip(vins[keep], f)])


def make_examples(folder):
    """Write every example CSV into ``folder``; returns the file names."""
    from pathlib import Path
    folder = Path(folder)
    _ts_examples(folder)
    _fefet_examples(folder)
    _mtj_examples(folder)
    _stochastic_examples(folder)
    _thermal_examples(folder)
    return [f for e in EXAMPLES.values() for f in e["files"]]


def z_statistics(seeds=range(30)):
    """How honest the fits' uncertainties are: the fast examples regenerated with other ``seeds``
    and fitted; per value ``{mean, rms, max_abs}`` of ``z = (fitted - truth) / sigma`` (RMS 1 for
    exact uncertainties). Seconds per seed."""
    import tempfile
    from pathlib import Path

    from .fit import fit_device
    zs = {}
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            _ts_examples(d, seed)
            _fefet_examples(d, 2 * seed + 100)
            _mtj_examples(d, seed)
            _stochastic_examples(d, seed)
            for key, e in EXAMPLES.items():
                if e["truth"] is None:
                    continue
                r = fit_device([d / f for f in e["files"]], e["family"])
                for q, t in e["truth"].items():
                    zs.setdefault(f"{key} {q}", []).append((r.parameters[q] - t) / r.sigma[q])
                for q, kinds in e.get("spread_truth", {}).items():
                    for kind, t in kinds.items():
                        zs.setdefault(f"{key} spread {q} {kind}", []).append(
                            (r.spread[q][kind] - t) / r.spread_sigma[q][kind])
    return {k: {"mean": float(np.mean(v)), "rms": float(np.sqrt(np.mean(np.square(v)))),
                "max_abs": float(np.max(np.abs(v)))} for k, v in zs.items()}
