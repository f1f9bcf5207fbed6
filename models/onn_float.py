"""Float ONN: coupled relaxation oscillators reduced to phase dynamics, with SHIL and annealing.

Each oscillator is a threshold-switch relaxation oscillator (``neuroxide.models.devices``, default
the VO2 preset of the Dutta 2021 Ising solver); its natural frequency is the device's analytic
rate ``f_i = analytic_rate_hz(preset, vin_i)`` at its drive ``vin_i`` (device-to-device spread:
``vin_i = vin (1 + spread * N(0,1))``). Weakly coupled oscillators reduce to phases (Kuramoto form,
the oscillator Ising machine of Wang & Roychowdhury); in the frame rotating at the mean frequency
``f0``::

    dtheta_i/dt = 2 pi (f_i - f0)
                + 2 pi f0 [ k_couple sum_j J_ij sin(theta_j - theta_i)        coupling, J_ij signed
                            - k_inj(t) sin(2 theta_i) ]                         SHIL at 2 f0: stable at 0, pi
                + sqrt(2 pi f0) sigma(t) xi_i(t)                                white phase noise

The anneal ramps ``k_inj`` linearly from 0 to ``k_inj_max`` and lowers ``sigma`` linearly from
``noise_max`` to ``noise_min`` over the run (the injection ramp of the VO2 Ising solver; intrinsic
noise escapes local minima). Integrated by Euler-Maruyama with ``dt = dt_periods / f0``. Spins
are ``sign(cos theta)``. ``k_couple`` is per unit of J: scale J to order 1 (``J / max_i sum_j |J_ij|``).
"""

from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError

__all__ = ["FloatONNParams", "FloatONN", "natural_frequencies_hz"]


@dataclass(frozen=True)
class FloatONNParams:
    preset: str = "vo2"
    vin_volt: float = 5.4
    spread: float = 0.0
    k_couple: float = 0.05
    k_inj_max: float = 0.05
    noise_max: float = 0.15
    noise_min: float = 0.0
    dt_periods: float = 0.05

    def __post_init__(self):
        for name, lo, hi in (("spread", 0.0, 0.2), ("k_couple", 0.0, 10.0), ("k_inj_max", 0.0, 10.0),
                             ("noise_max", 0.0, 10.0), ("noise_min", 0.0, self.noise_max), ("dt_periods", 1e-4, 0.5)):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not lo <= v <= hi:
                raise ParameterError(name, v, f"{lo}..{hi}")


def natural_frequencies_hz(params, n, seed=0):
    """Per-oscillator natural frequency from the device preset at drives spread around vin_volt."""
    from neuroxide.models.devices import analytic_rate_hz, get_preset
    preset = get_preset(params.preset)
    rng = np.random.default_rng(seed)
    vin = params.vin_volt * (1 + params.spread * rng.standard_normal(n))
    f = np.asarray(analytic_rate_hz(preset, vin), dtype=float)
    if np.any(f <= 0):
        raise ParameterError("vin_volt", params.vin_volt, f"{preset.onset_vin_volt:.3g}..{preset.latch_vin_volt:.3g}",
                             why="some oscillators would not oscillate (spread included)")
    return f


class FloatONN:
    """``n`` phase oscillators x ``restarts`` runs, couplings ``J`` (dense float array)."""

    def __init__(self, params, J, seed=0, restarts=1, theta0=None):
        self.params = params
        self.J = np.asarray(J, dtype=float)
        n = self.J.shape[0]
        self.n, self.restarts = n, restarts
        self.f_hz = natural_frequencies_hz(params, n, seed)
        self.f0_hz = float(self.f_hz.mean())
        self.rng = np.random.default_rng(seed + 1)
        self.theta = (self.rng.uniform(0, 2 * np.pi, (n, restarts)) if theta0 is None
                      else np.array(theta0, dtype=float).reshape(n, -1) * np.ones((1, restarts)))
        self.t_s = 0.0

    @property
    def dt_s(self):
        return self.params.dt_periods / self.f0_hz

    def spins(self):
        return np.where(np.cos(self.theta) >= 0, 1, -1)

    def run(self, periods, anneal=True, record_every=0, k_inj=None):
        """Advance ``periods`` periods of f0; the anneal schedule spans this run. Returns
        ``(t_s, theta)`` samples every ``record_every`` steps (empty when 0)."""
        p = self.params
        steps = max(1, int(round(periods / p.dt_periods)))
        w0 = 2 * np.pi * self.f0_hz
        detune = (2 * np.pi * (self.f_hz - self.f0_hz))[:, None]
        dt = self.dt_s
        ts, th = [], []
        for k in range(steps):
            frac = (k + 1) / steps if anneal else 1.0
            kinj = (p.k_inj_max * frac) if k_inj is None else k_inj
            sigma = p.noise_max + (p.noise_min - p.noise_max) * frac if anneal else p.noise_min
            c, s = np.cos(self.theta), np.sin(self.theta)
            coupling = s * (self.J @ c) * -1 + c * (self.J @ s)  # sum_j J_ij sin(theta_j - theta_i)
            drift = detune + w0 * (p.k_couple * coupling - kinj * np.sin(2 * self.theta))
            noise = np.sqrt(w0 * dt) * sigma * self.rng.standard_normal(self.theta.shape)
            self.theta = np.mod(self.theta + drift * dt + noise, 2 * np.pi)
            self.t_s += dt
            if record_every and k % record_every == 0:
                ts.append(self.t_s)
                th.append(self.theta.copy())
        return np.array(ts), np.array(th)


def plot_phase_locking(path, n=12, periods=300.0, seed=3):
    """Phase-locking figure: ``n`` VO2 oscillators (2 % drive spread) on a random +-1 graph, annealed
    (SHIL ramps up, noise ramps down). Top: phase of each oscillator vs time; bottom: the phases at
    the end sit at 0 or 180 deg (spins). Returns a dict of what was plotted."""
    # the object-oriented API with an explicit Agg canvas: no global backend, no pyplot state
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from neuroxide.fileio import save_figure
    rng = np.random.default_rng(seed)
    a = np.triu(rng.choice([-1, 1], size=(n, n)) * (rng.random((n, n)) < 0.5), 1)
    J = (a + a.T) / max(np.abs(a + a.T).sum(axis=1).max(), 1)
    p = FloatONNParams(spread=0.02, k_couple=0.2, k_inj_max=0.2, noise_max=0.3)
    m = FloatONN(p, -J, seed, 1)
    t, th = m.run(periods, record_every=10)
    fig = Figure(figsize=(7, 5.5))
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(2, 1, gridspec_kw={"height_ratios": [3, 1.2]})
    for i in range(n):
        ax1.plot(t * 1e6, np.degrees(th[:, i, 0]), ".", ms=1.2)
    ax1.set_ylabel("phase (deg, rotating frame)")
    ax1.set_xlabel("time (us)")
    ax1.set_yticks([0, 90, 180, 270, 360])
    ax1.set_title(f"{n} VO2 oscillators (f0 = {m.f0_hz / 1e6:.2f} MHz): SHIL at 2 f0 ramps up, noise ramps down")
    final = np.degrees(th[-1, :, 0])
    ax2.plot(final, np.zeros(n), "o")
    ax2.set_xlim(-10, 370)
    ax2.set_xticks([0, 90, 180, 270, 360])
    ax2.set_yticks([])
    ax2.set_xlabel("final phases (deg): locked to 0 or 180 (spins)")
    fig.tight_layout()
    save_figure(fig, path)
    dist = np.minimum(np.abs(np.mod(final + 90, 180) - 90), 180)
    return {"n": n, "f0_hz": m.f0_hz, "max_distance_from_0_or_180_deg": float(dist.max()), "plot": str(path)}
