"""Hodgkin-Huxley: float64 vs the fixed-point LUT model (or its RTL) on the standard stimulus set.

The classic squid-axon neuron (forward Euler, dt = 0.01 ms) in float64 and in fixed point with
interpolated lookup-table gating (the model, or the generated Verilog under cocotb), over the
stimuli of ``models/hh.py`` (rest, steps, pulses, ramp, noise). A stimulus matches when the membrane
RMSE is below :data:`RMSE_TARGET_MV`, the spike count is the float reference's and no spike moves by
more than one step (and, on the RTL, the RTL equals the model at every step). Optionally the float
device model of a two-VO2-channel HH neuron runs beside it.
"""

from dataclasses import dataclass

from neuroxide.errors import ParameterError
from neuroxide.experiments.backends import Backend, check_backend
from neuroxide.experiments.checks import check_range

__all__ = ["BACKENDS", "RMSE_TARGET_MV", "HHSetup", "HHResult", "run_hh", "plot_hh"]

BACKENDS = {
    Backend.MODEL: "the fixed-point LUT model",
    Backend.RTL: "cocotb run of the Verilog",
}
RMSE_TARGET_MV = 1.83  # best published single-multiplier FPGA HH
ROW_KEYS = ("stimulus", "rmse_mv", "max_abs_mv", "spikes_float", "spikes_fixed", "max_shift_steps",
            "rtl_mismatches", "match")
VO2_DRIVE_VOLT = 2.0


@dataclass(frozen=True)
class HHSetup:
    """``stimuli``: names of ``models.hh.STIMULI``; ``steps``: 0.01 ms steps per stimulus (None: the
    whole 100 ms protocol); ``vo2``: also simulate the two-VO2-channel neuron."""

    stimuli: tuple
    steps: int | None = None
    backend: Backend = Backend.MODEL
    vo2: bool = False

    def __post_init__(self):
        from neuroxide.models.hh import STIMULI
        object.__setattr__(self, "stimuli", tuple(self.stimuli))
        for name in self.stimuli or ("",):
            if name not in STIMULI:
                raise ParameterError("stimuli", name, " | ".join(STIMULI) + " or all")
        object.__setattr__(self, "backend", check_backend(self.backend, BACKENDS))
        if self.steps is not None:
            check_range("steps", self.steps, 10, 10_000)


@dataclass
class HHResult:
    """Per-stimulus rows (``ROW_KEYS`` in JSON; ``v_float``, ``v_fixed``, ``current`` traces for the
    figure), the fixed-point widths, and on the ``rtl`` back end the cocotb run's summary; ``vo2``:
    the two-VO2-channel neuron's run (float device model) when asked."""

    setup: HHSetup
    rows: list
    rtl: dict | None = None
    vo2: dict | None = None

    @property
    def matched(self):
        return sum(r["match"] for r in self.rows)

    @property
    def max_rmse_mv(self):
        return max(r["rmse_mv"] for r in self.rows)

    def stimulus_rows(self):
        """The per-stimulus rows as JSON (``ROW_KEYS``)."""
        return [{key: r[key] for key in ROW_KEYS} for r in self.rows]

    def to_dict(self):
        from neuroxide.models import hh
        k = hh.make_fixed()
        out = {"backend": self.setup.backend.value, "stimuli": self.stimulus_rows(),
               "max_rmse_mv": self.max_rmse_mv, "rmse_target_mv": RMSE_TARGET_MV, "matched": self.matched,
               "total": len(self.rows), "dt_ms": hh.DT_MS,
               "widths": {"v_frac": k.v_frac, "v_bits": k.v_bits, "g_frac": k.g_frac, "k_bits": k.k_bits,
                          "lut_frac": k.lut_frac, "lut_size": k.lut_size},
               "params": hh.SQUID.__dict__, "simulator": self.rtl["simulator"] if self.rtl else None}
        if self.vo2 is not None:
            out["vo2"] = {key: self.vo2[key] for key in ("spikes", "rate_hz", "spike_amplitude_volt", "drive_volt")}
        return out


def run_hh(setup, simulator=None, build_dir="build/hh"):
    """Compare float and fixed point on ``setup.stimuli`` -> :class:`HHResult`; on ``rtl`` the
    fixed-point trace, RMSE and spikes come from the RTL run."""
    import numpy as np

    from neuroxide.models import hh
    rows = hh.compare(list(setup.stimuli), setup.steps)
    rtl = None
    if setup.backend is Backend.RTL:
        from neuroxide.designs import configure
        from neuroxide.flow import simulate_design
        cfg = configure("hh", {"stimuli": ",".join(setup.stimuli)})
        rtl = simulate_design(cfg, simulator, len(rows[0]["v_float"]), build_dir)
    for r in rows:
        r["rtl_mismatches"] = None
        if rtl is not None:
            got = rtl["per_stimulus"][r["stimulus"]]
            v = np.array(got["v_mv_rtl"])
            r["v_fixed"] = v
            r["rmse_mv"] = float(np.sqrt(np.mean((r["v_float"] - v) ** 2)))
            r["max_abs_mv"] = float(np.max(np.abs(r["v_float"] - v)))
            steps_rtl = got["spike_steps_rtl"]
            r["spikes_fixed"] = len(steps_rtl)
            r["rtl_mismatches"] = got["mismatches"]
            ref = r["spike_steps_float"]
            r["max_shift_steps"] = (int(np.max(np.abs(np.array(ref) - np.array(steps_rtl)))) if ref else 0) \
                if len(ref) == len(steps_rtl) else None
        r["match"] = bool(r["rmse_mv"] < RMSE_TARGET_MV and r["spikes_fixed"] == r["spikes_float"]
                          and r["max_shift_steps"] is not None and r["max_shift_steps"] <= 1
                          and not r["rtl_mismatches"])
    vo2 = None
    if setup.vo2:
        from neuroxide.models.devices.vo2_hh import simulate as vo2_simulate
        vo2 = vo2_simulate(drive_volt=VO2_DRIVE_VOLT)
    return HHResult(setup, rows, rtl, vo2)


def plot_hh(result, path):
    """Float vs fixed-point membrane per stimulus (with the input current), and the VO2 neuron."""
    import numpy as np

    from neuroxide.fileio import save_figure
    from neuroxide.models.hh import DT_MS
    from neuroxide.plots import new_figure
    rows, vo2 = result.rows, result.vo2
    panels = len(rows) + (1 if vo2 is not None else 0)
    ncols = 3
    nrows = -(-panels // ncols)
    fig = new_figure(figsize=(13, 2.6 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat[panels:]:
        ax.axis("off")
    label = "fixed point (RTL run)" if result.setup.backend is Backend.RTL else "fixed point (model)"
    for ax, r in zip(axes.flat, rows):
        t = np.arange(len(r["v_float"])) * DT_MS
        ax.plot(t, r["v_float"], color="0.7", lw=2.2, label="float64 HH")
        ax.plot(t, r["v_fixed"], color="C0", lw=0.8, label=label)
        ax.plot(t, -95 + r["current"], color="C3", lw=0.7, label="I - 95 (uA/cm^2)")
        ax.set_title(f"{r['stimulus']}: RMSE {r['rmse_mv']:.3f} mV, spikes {r['spikes_float']}/{r['spikes_fixed']}",
                     fontsize=9)
        ax.set_ylim(-100, 60)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=6, loc="upper right")
    if vo2 is not None:
        ax = axes.flat[len(rows)]
        ax.plot(vo2["t_s"] * 1e6, vo2["v_out_volt"], color="C2", lw=0.8)
        ax.set_title(f"two-VO2-channel neuron (float device model): {vo2['spikes']} spikes", fontsize=9)
        ax.set_xlabel("us", fontsize=7)
        ax.set_ylabel("V", fontsize=7)
        ax.tick_params(labelsize=7)
    fig.suptitle("Hodgkin-Huxley (squid), dt = 0.01 ms: float64 (grey) vs fixed point with interpolated LUT "
                 "gating; x: ms, y: mV", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
