"""NIR graphs on the SNN core: import a file onto the core, and run input spikes on float / model / RTL.

The mapping rules (graph shapes, discretisation, reset, quantisation) live in
``neuroxide.models.nir_map``; this module is the experiment around them: :func:`import_nir` reads a
NIR file and maps it onto the core (:class:`NIRImportSetup`), :func:`run_nir` runs input spikes on
the float NIR semantics (the reference) and, as the back end asks, the fixed-point model and the
RTL (cocotb), with the spike-count agreement between them.
"""

import time
from dataclasses import dataclass, field

from neuroxide.errors import ParameterError
from neuroxide.experiments.backends import Backend, check_backend
from neuroxide.experiments.checks import check_choice, check_range

__all__ = ["BACKENDS", "LANES", "MAX_SEED", "MAX_COUNT", "NIRImportSetup", "NIRRunResult", "import_nir", "random_input",
           "check_lanes", "run_nir", "plot_run"]

BACKENDS = {
    Backend.FLOAT: "NIR's equations in float64 (the reference)",
    Backend.MODEL: "the imported fixed-point core network (and float, for the agreement)",
    Backend.RTL: "the generated core under cocotb, compared with the model at every step (and model and float)",
}
LANES = (1, 2, 4, 8, 16, 32)  # synapses per clock of the core
MAX_SEED = 0xFFFF_FFFF
MAX_RANDOM = 1 << 16  # steps and samples of generated input
MAX_COUNT = 255  # events one input may carry in one step (input rows repeated per event on the core)


@dataclass(frozen=True)
class NIRImportSetup:
    """``path`` of a NIR (HDF5) file; ``dt``: time step in seconds (None: the graph's metadata
    ``dt``, else dt = 1 when every neuron node is IF, else 1e-3); ``discretisation``: euler or exp;
    ``weight_bits``: conductance levels 2**B per device; ``seed``: the core's neuron PRNGs;
    ``requantise``: quantise the float weights even when the file carries neuroxide's exact layers;
    ``max_count``: the most events one input carries in one step (the core's input rows are
    repeated that often, ``nir_map.to_core``); ``weight_scale``: ``layer`` (one weight level grid
    per layer) or ``neuron`` (one per neuron, thresholds scaled with it); ``reset``: ``value``
    (NIR's reset to v_reset) or ``subtract`` (v -= v_threshold after a spike on float, model and RTL:
    the rule NIR cannot state, opt-in; ``nir_map`` module docstring)."""

    path: str
    dt: float | None = None
    discretisation: str = "euler"
    weight_bits: int = 8
    seed: int = 1
    requantise: bool = False
    max_count: int = 1
    weight_scale: str = "layer"
    reset: str = "value"

    def __post_init__(self):
        if self.dt is not None:
            check_range("dt", self.dt, 1e-9, 1e3, kind=float)
        check_range("weight_bits", self.weight_bits, 1, 8)
        check_range("seed", self.seed, 0, MAX_SEED)
        check_range("max_count", self.max_count, 1, MAX_COUNT)
        check_choice("weight_scale", self.weight_scale, ("layer", "neuron"))
        check_choice("reset", self.reset, ("value", "subtract"))


def import_nir(setup):
    """Read and map ``setup.path`` -> ``(FloatNetwork, CoreMapping)`` (``neuroxide.models.nir_map``)."""
    from neuroxide.models.nir_map import load, to_core
    net = load(setup.path, setup.dt, setup.discretisation, setup.reset)
    return net, to_core(net, setup.weight_bits, setup.seed, requantise=setup.requantise, max_count=setup.max_count,
                        weight_scale=setup.weight_scale)


def random_input(n_in, steps, batch, rate, seed, max_count=1):
    """Random input ``(steps, batch, n_in)``: Bernoulli spikes with probability ``rate`` per input
    and step (bool), or with ``max_count`` > 1 event counts ~ Binomial(max_count, rate) (int16:
    event-like frames, as N-MNIST's binned counts)."""
    import numpy as np
    check_range("steps", steps, 1, MAX_RANDOM)
    check_range("batch", batch, 1, MAX_RANDOM)
    check_range("rate", rate, 0.0, 1.0, kind=float)
    check_range("max_count", max_count, 1, MAX_COUNT)
    rng = np.random.default_rng([seed, 6])
    if max_count == 1:
        return rng.random((steps, batch, n_in)) < rate
    return rng.binomial(max_count, rate, (steps, batch, n_in)).astype(np.int16)


@dataclass
class NIRRunResult:
    """Output spikes per back end, their agreement, and on ``rtl`` the RTL's mismatches and cycles.

    ``outputs`` holds the last layer's spikes per back end ``(steps, batch, n_out)`` (and, for an LI
    output layer, ``v_model``/``v_float``): the arrays, not JSON. The model and RTL fields are None
    where the back end did not run them.
    """

    backend: Backend
    steps: int
    batch: int
    output_spiking: bool
    exact_from_metadata: bool
    spikes: dict
    counts: dict | None
    outputs: dict = field(repr=False)
    sops: int | None = None
    agreement_model_float: dict | None = None
    li_rms_error_relative: float | None = None
    li_class_agreement: float | None = None
    hidden_agreement_model_float: list | None = None
    mismatches: int | None = None
    cycles: int | None = None
    sop_per_cycle: float | None = None
    simulator: str | None = None
    lanes: int | None = None
    rtl_wall_s: float | None = None
    agreement_rtl_model: dict | None = None
    wall_s: float = 0.0

    def to_dict(self):
        out = {"steps": self.steps, "batch": self.batch, "backend": self.backend.value,
               "output_spiking": self.output_spiking, "exact_from_metadata": self.exact_from_metadata,
               "spikes": self.spikes, "counts": self.counts, "wall_s": self.wall_s}
        keys = []
        if self.backend is not Backend.FLOAT:
            keys += ["sops", "hidden_agreement_model_float"]
            keys += ["agreement_model_float"] if self.output_spiking else ["li_rms_error_relative", "li_class_agreement"]
        if self.backend is Backend.RTL:
            keys += ["mismatches", "cycles", "sop_per_cycle", "simulator", "lanes", "rtl_wall_s", "agreement_rtl_model"]
        return out | {k: getattr(self, k) for k in keys}


def check_lanes(lanes):
    """``lanes`` (synapses per clock of the RTL; None: the bench's default) if the core offers it."""
    if lanes is not None and lanes not in LANES:
        raise ParameterError("lanes", lanes, " | ".join(map(str, LANES)))
    return lanes


def run_nir(net, mapping, spikes, backend=Backend.MODEL, simulator=None, build_dir="build/nir", lanes=None,
            progress=None, weight_format="pair"):
    """Run ``spikes`` (bool ``(steps, batch, n_in)``, or event counts up to ``mapping.max_count``)
    on float, and model / rtl as ``backend`` asks
    -> :class:`NIRRunResult`. Agreement (:func:`~neuroxide.models.nir_map.agreement`) of the model
    with float, and of the RTL with the model. ``lanes``: synapses per clock of the RTL (None: the
    bench's default); ``weight_format``: the RTL core's weight memory (``pair`` | ``signed``, see
    :func:`~neuroxide.models.snn_capacity.check_weight_format`); ``progress(done, total)`` as the back
    end asked finishes steps."""
    import numpy as np

    from neuroxide.models.nir_map import agreement, simulate_float
    from neuroxide.models.snn import SNNModel
    backend = check_backend(backend, BACKENDS)
    check_lanes(lanes)
    t0 = time.perf_counter()
    steps, batch = spikes.shape[:2]
    spiking = net.layers[-1].spiking
    res = NIRRunResult(backend, int(steps), int(batch), spiking, mapping.exact, {}, None, {})
    fl = simulate_float(net, spikes, progress=progress if backend is Backend.FLOAT else None,
                        max_count=mapping.max_count)
    core_in = mapping.core_input(spikes)
    res.outputs["float"] = fl["spikes"][-1]
    counts = {"float": fl["spikes"][-1].sum(axis=0)}
    if backend in (Backend.MODEL, Backend.RTL):
        trace = SNNModel(mapping.network, batch).run(core_in, record_state=not spiking,
                                                     progress=progress if backend is Backend.MODEL else None)
        res.outputs["model"] = trace.spikes[-1]
        counts["model"] = trace.counts()
        res.sops = int(trace.sops.sum())
        if spiking:
            res.agreement_model_float = agreement(counts["model"], counts["float"])
        else:
            v_model = mapping.v_float(len(net.layers) - 1, trace.state[-1]["v"])
            v_float = fl["v"]
            span = float(np.abs(v_float).max()) or 1.0
            res.li_rms_error_relative = float(np.sqrt(np.mean((v_model - v_float) ** 2)) / span)
            res.li_class_agreement = float(np.mean(v_model.sum(axis=0).argmax(-1) == v_float.sum(axis=0).argmax(-1)))
            res.outputs["v_model"], res.outputs["v_float"] = v_model, v_float
        res.hidden_agreement_model_float = [agreement(mapping.node_counts(k, trace.counts(k)),
                                                      fl["spikes"][k].sum(axis=0))["overall"]
                                            for k in range(len(net.layers) - 1)]
    if backend is Backend.RTL:
        from neuroxide.testbench.snn_bench import DEFAULT_LANES, run_network
        out = run_network(mapping.network, core_in.astype(np.uint8), simulator=simulator,
                          build_dir=f"{build_dir}/rtl" + ("" if weight_format == "pair" else f"-{weight_format}"),
                          progress=progress, lanes=lanes or DEFAULT_LANES, weight_format=weight_format)
        rtl = np.asarray(out["spikes"][-1], dtype=bool)
        res.outputs["rtl"] = rtl
        counts["rtl"] = rtl.sum(axis=0)
        res.mismatches, res.cycles = int(out["mismatches"]), int(out["cycles"])
        res.sop_per_cycle, res.simulator, res.lanes = out["sop_per_cycle"], out["simulator"], out["lanes"]
        res.rtl_wall_s = out["wall_s"]
        res.agreement_rtl_model = agreement(counts["rtl"], counts["model"])
    res.spikes = {k: int(v.sum()) for k, v in counts.items()}
    res.counts = {k: v.tolist() for k, v in counts.items()} if batch * net.n_out <= 4096 else None
    res.wall_s = round(time.perf_counter() - t0, 3)
    return res


def plot_run(result, path, sample=0):
    """Output raster of one sample per back end + per-neuron spike counts, model vs float."""
    import matplotlib.ticker
    import numpy as np

    from neuroxide.fileio import save_figure
    from neuroxide.plots import new_figure
    outputs = result.outputs
    names = [k for k in ("float", "model", "rtl") if k in outputs]
    fig = new_figure(figsize=(11, 4), layout="constrained")
    axes = fig.subplots(1, 2)
    ax = axes[0]
    colours = {"float": "tab:blue", "model": "tab:orange", "rtl": "k"}
    offsets = {"float": -0.2, "model": 0.0, "rtl": 0.2}
    for name in names:
        t, j = np.nonzero(outputs[name][:, sample, :])
        ax.scatter(t, j + offsets[name], s=8, marker="|", color=colours[name], label=name)
    ax.set_xlabel(f"time step (sample {sample})")
    ax.set_ylabel("output neuron")
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title("output spikes")
    ax = axes[1]
    if "model" in outputs:
        cf = outputs["float"].sum(axis=0).ravel()
        cm = outputs["model"].sum(axis=0).ravel()
        top = max(int(cf.max()), int(cm.max()), 1)
        ax.plot([0, top], [0, top], color="0.7", lw=1)
        ax.scatter(cf, cm, s=10, alpha=0.5)
        ax.set_xlabel("spike count, float NIR semantics")
        ax.set_ylabel("spike count, fixed-point model")
        agree = result.agreement_model_float
        if agree:
            ax.set_title(f"agreement {100 * agree['overall']:.2f} %, exact counts {100 * agree['exact']:.1f} %")
    else:
        ax.set_axis_off()
    return save_figure(fig, path)
