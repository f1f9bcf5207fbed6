"""The 20 panels of Izhikevich (2004): float64 reference vs fixed-point model vs RTL.

Each panel runs with the paper's exact protocol (forward Euler, dt and input from
``models/data/izhikevich2004_protocols.csv``) in float64, in the fixed-point model (Q.40 v and u)
and/or on the generated Verilog under cocotb (one combined run of all the panels' neurons). A panel
matches when its spike count equals the float reference's and no spike moves by more than one step
(and, on the RTL, the RTL equals the model at every step).
"""

from dataclasses import dataclass, field

from neuroxide.experiments.backends import Backend, check_backend

__all__ = ["BACKENDS", "IzhikevichSetup", "PanelResult", "IzhikevichResult", "run_izhikevich", "plot_catalogue"]

BACKENDS = {
    Backend.FLOAT: "float64 reference only",
    Backend.MODEL: "+ the fixed-point model",
    Backend.RTL: "+ the cocotb run of the Verilog",
}
RTL_STEPS = 10**6  # more than any panel's protocol: the bench runs every panel to its end


@dataclass(frozen=True)
class IzhikevichSetup:
    """``panels``: letters A..T (upper or lower case)."""

    panels: tuple
    backend: Backend = Backend.MODEL

    def __post_init__(self):
        from neuroxide.models.izhikevich import check_panels
        object.__setattr__(self, "panels", tuple(check_panels(list(self.panels))))
        object.__setattr__(self, "backend", check_backend(self.backend, BACKENDS))


@dataclass
class PanelResult:
    """One panel: spike counts (float, and fixed point or RTL), the worst spike shift in steps, the
    RTL's mismatching steps; ``times_ms``, ``v_float`` and ``v_plot`` (the trace of the back end run,
    mV) are for the figure, not JSON."""

    panel: str
    behaviour: str
    steps: int
    spikes_float: int
    spikes_fixed: int | None
    max_shift_steps: int | None
    rtl_mismatches: int | None
    match: bool | None
    times_ms: object = field(repr=False)
    v_float: object = field(repr=False)
    v_plot: object = field(repr=False)

    def to_dict(self):
        return {"panel": self.panel, "behaviour": self.behaviour, "spikes_float": self.spikes_float,
                "spikes_fixed": self.spikes_fixed, "max_shift_steps": self.max_shift_steps,
                "rtl_mismatches": self.rtl_mismatches, "match": self.match}


@dataclass
class IzhikevichResult:
    """The panels' results and, on the ``rtl`` back end, the cocotb run's summary
    (``neuroxide simulate`` JSON: simulator, cycles, cycles_per_s ...)."""

    setup: IzhikevichSetup
    panels: list
    rtl: dict | None = None

    @property
    def matched(self):
        return sum(1 for p in self.panels if p.match)

    def to_dict(self):
        return {"backend": self.setup.backend.value, "panels": [p.to_dict() for p in self.panels],
                "matched": self.matched, "total": len(self.panels),
                "simulator": self.rtl["simulator"] if self.rtl else None}


def run_izhikevich(setup, simulator=None, build_dir="build/izhikevich", progress=None):
    """Run the panels of ``setup`` -> :class:`IzhikevichResult`; on ``rtl`` the spike counts and
    times come from the RTL run (``progress(done, total)`` as its bench finishes steps)."""
    import numpy as np

    from neuroxide.models import izhikevich as iz
    results = iz.run_panels(list(setup.panels))
    rtl = None
    if setup.backend is Backend.RTL:
        import dataclasses

        from neuroxide.designs import configure
        from neuroxide.flow import simulate_design
        cfg = dataclasses.replace(configure("izhikevich", {"panel": "all"}), panels=setup.panels)
        rtl = simulate_design(cfg, simulator, RTL_STEPS, build_dir, progress=progress)
    panels = []
    for r in results:
        row = PanelResult(r["panel"], r["behaviour"], r["steps"], r["spikes_float"], None, None, None, None,
                          r["times_ms"], r["float_v"], r["float_v"])
        if setup.backend is Backend.MODEL:
            row.spikes_fixed, row.max_shift_steps, row.v_plot = r["spikes_fixed"], r["max_shift_steps"], r["fixed_v"]
        elif setup.backend is Backend.RTL:
            got = rtl["per_panel"][r["panel"]]
            steps_rtl = [s for s in got["spike_steps_rtl"] if s < r["steps"]]
            _, shift = iz.compare_spikes(r["spike_steps_float"], steps_rtl)
            v = np.array(got["v_mv_rtl"][:r["steps"]])
            v[steps_rtl] = iz.V_PEAK_MV  # drawn like the figure: the spike step at the 30 mV peak
            row.spikes_fixed, row.max_shift_steps, row.rtl_mismatches, row.v_plot = (len(steps_rtl), shift,
                                                                                     got["mismatches"], v)
        if setup.backend is not Backend.FLOAT:
            row.match = bool(row.spikes_fixed == row.spikes_float and row.max_shift_steps is not None
                             and row.max_shift_steps <= 1 and not row.rtl_mismatches)
        panels.append(row)
    return IzhikevichResult(setup, panels, rtl)


def plot_catalogue(result, path):
    """The 5x4 catalogue of the 20 panels (or fewer), the back end's trace over the float reference."""
    import numpy as np

    from neuroxide.fileio import save_figure
    from neuroxide.models.izhikevich import load_protocols, stimulus_current
    from neuroxide.plots import new_figure
    backend, rows = result.setup.backend, result.panels
    protos = load_protocols()
    ncols = 4
    nrows = max(1, -(-len(rows) // ncols))
    fig = new_figure(figsize=(13, 2.3 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    label = {Backend.FLOAT: "float64 reference", Backend.MODEL: "fixed-point model",
             Backend.RTL: "RTL (cocotb run)"}[backend]
    for ax in axes.flat[len(rows):]:
        ax.axis("off")
    for ax, row in zip(axes.flat, rows):
        t = row.times_ms
        if backend is not Backend.FLOAT:
            ax.plot(t, row.v_float, color="0.7", lw=2.2, label="float64")
        ax.plot(t, row.v_plot, color="C0", lw=0.8, label=label)
        current = stimulus_current(row.panel, t)
        span = np.ptp(current) or 1.0
        ax.plot(t, -95 + 12 * (current - current.min()) / span, color="C3", lw=0.8)
        ok = "" if row.match is None else ("  ok" if row.match else "  MISMATCH")
        ax.set_title(f"({row.panel}) {protos[row.panel].behaviour}{ok}", fontsize=9)
        ax.set_ylim(-100, 40)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=6, loc="upper right")
    fig.suptitle(f"Izhikevich (2004) firing patterns: {label} over float64 (grey); input current in red "
                 "(scaled); x: ms, y: mV", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
