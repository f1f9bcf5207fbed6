"""Handwritten digits on memristor-crossbar synapses: float, fixed-point model or RTL.

The 8x8 digits (scikit-learn, fixed split: 540 test images) classified by the 64-64-10 network of
``neuroxide.models.train``: the trained float weights, programmed onto crossbars with the setup's
device non-idealities, converted to the fixed-point SNN core and run on one of three back ends
(:data:`BACKENDS`). The ``rtl`` back end feeds the core's cocotb bench
(``neuroxide.testbench.snn_bench.run_network``) the model's very input events and compares it with
the model at every step.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from neuroxide.errors import ToolchainError
from neuroxide.experiments.backends import Backend, check_backend
from neuroxide.experiments.checks import check_choice, check_range

__all__ = ["BACKENDS", "N_TEST", "MAX_SEED", "ENCODINGS", "READOUTS", "DigitsSetup", "DigitsResult", "run_digits",
           "digits_network", "plot_digits"]

BACKENDS = {
    Backend.FLOAT: "the ReLU network with the weights the crossbars hold (no spikes)",
    Backend.MODEL: "the bit-exact fixed-point spiking model (numpy)",
    Backend.RTL: "the Amaranth core under cocotb, compared with the model at every step",
}
N_TEST = 540  # the fixed split's test set
MAX_SEED = 0xFFFF_FFFF
ENCODINGS = ("rate", "current")
READOUTS = ("count", "first")


@dataclass(frozen=True)
class DigitsSetup:
    """One point of the experiment; constructing it validates every field.

    ``weight_bits``: conductance levels 2**B per device; ``d2d_sigma``: device-to-device spread of
    the conductance window (relative); ``stuck_at``: fraction of devices stuck at G_min or G_max;
    ``write_sigma``: programming noise relative to G_max - G_min; ``limit``: first N test images
    (None: all 540); ``seed``: devices' spread and faults, rate encoder, neurons; ``steps``:
    presentation window; ``encoding``: rate (Bernoulli) or current (deterministic IF encoder);
    ``readout``: class = most output spikes (count) or earliest output spike (first).
    """

    backend: Backend = Backend.MODEL
    weight_bits: int = 4
    d2d_sigma: float = 0.0
    stuck_at: float = 0.0
    write_sigma: float = 0.0
    limit: int | None = None
    seed: int = 1
    steps: int = 32
    encoding: str = "rate"
    readout: str = "count"

    def __post_init__(self):
        check_range("weight_bits", self.weight_bits, 1, 8)
        check_range("d2d_sigma", self.d2d_sigma, 0.0, 1.0, kind=float)
        check_range("stuck_at", self.stuck_at, 0.0, 1.0, kind=float)
        check_range("write_sigma", self.write_sigma, 0.0, 1.0, kind=float)
        if self.limit is not None:
            check_range("limit", self.limit, 1, N_TEST)
        check_range("seed", self.seed, 0, MAX_SEED)
        check_range("steps", self.steps, 1, 1024)
        check_choice("encoding", self.encoding, ENCODINGS)
        check_choice("readout", self.readout, READOUTS)
        object.__setattr__(self, "backend", check_backend(self.backend, BACKENDS))

    @property
    def n(self):
        """Test images run."""
        return N_TEST if self.limit is None else self.limit


@dataclass
class DigitsResult:
    """Accuracy and costs of a run; ``labels``, ``predictions`` and ``spikes`` (per layer, input
    first, ``(steps, images, neurons)``; None on the float back end) are for figures, not JSON.
    The RTL fields are None except on the ``rtl`` back end."""

    setup: DigitsSetup
    accuracy: float
    float_reference_accuracy: float
    layers: list
    confusion: np.ndarray
    labels: np.ndarray = field(repr=False)
    predictions: np.ndarray = field(repr=False)
    spikes: list | None = field(default=None, repr=False)
    sops: int | None = None
    mismatches: int | None = None
    cycles: int | None = None
    sop_per_cycle: float | None = None
    simulator: str | None = None
    model_sops: int | None = None
    prediction_mismatches: int | None = None
    rtl_wall_s: float | None = None
    rtl_build_s: float | None = None
    wall_s: float = 0.0

    def to_dict(self):
        s = self.setup
        out = {"backend": s.backend.value, "n": int(s.n), "weight_bits": s.weight_bits, "d2d_sigma": s.d2d_sigma,
               "stuck_at": s.stuck_at, "write_sigma": s.write_sigma, "seed": s.seed, "steps": s.steps,
               "encoding": s.encoding, "readout": s.readout, "float_reference_accuracy": self.float_reference_accuracy,
               "layers": self.layers, "mismatches": self.mismatches, "sops": self.sops, "cycles": self.cycles,
               "sop_per_cycle": self.sop_per_cycle, "simulator": self.simulator, "accuracy": self.accuracy,
               "confusion": self.confusion.tolist(), "wall_s": self.wall_s}
        if s.backend is Backend.RTL:
            out |= {"model_sops": self.model_sops, "rtl_wall_s": self.rtl_wall_s, "rtl_build_s": self.rtl_build_s,
                    "prediction_mismatches": self.prediction_mismatches}
        return out


def digits_network(weight_bits=4, seed=1, d2d_sigma=0.0, stuck_at=0.0, write_sigma=0.0):
    """The trained network on crossbars of these devices, converted to the core.

    Returns ``(network, info, weights, x_train)``: the :class:`~neuroxide.models.snn.CoreNetwork`, the
    per-layer conversion info (``info[k]["weights"]``: what the crossbars hold, as floats), the float
    weights it was trained to (shipped in ``models/data/digits_mlp.npz``) and the training images (the conversion's
    activation statistics).
    """
    from neuroxide.models.crossbar import DeviceParams
    from neuroxide.models.train import TrainConfig, convert, load_digits_split, trained_mlp
    x_train = load_digits_split()[0]
    weights = trained_mlp(TrainConfig())
    device = DeviceParams(weight_bits=weight_bits, grid_bits=8, d2d_sigma=d2d_sigma, write_sigma=write_sigma,
                          stuck_at=stuck_at)
    network, info = convert(weights, x_train, device, seed=seed, network_seed=seed)
    return network, info, weights, x_train


def _confusion(y, pred, n=10):
    m = np.zeros((n, n), dtype=np.int64)
    np.add.at(m, (y, pred), 1)
    return m


def _rtl_bench():
    """The SNN core's cocotb bench runner, or a ToolchainError (missing) when it is not installed."""
    try:
        from neuroxide.testbench.snn_bench import run_network
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("neuroxide.testbench.snn_bench"):
            raise ToolchainError("the rtl backend needs neuroxide.testbench.snn_bench (the SNN core's cocotb "
                                 "bench), which is not installed in this checkout", missing=True) from None
        raise
    return run_network


def run_digits(setup, simulator=None, build_dir="build/digits", progress=None, rtl_progress=None):
    """Run the test set on ``setup.backend`` -> :class:`DigitsResult`.

    ``build_dir`` holds the RTL build; ``progress(images)`` is
    called as the model finishes images, ``rtl_progress(done, total)`` as the RTL bench finishes
    steps.
    """
    from neuroxide.models.snn import float_forward, readout
    from neuroxide.models.train import PIXEL_MAX, accuracy, encode, load_digits_split, run_snn

    t0 = time.perf_counter()
    run_network = _rtl_bench() if setup.backend is Backend.RTL else None  # fail before any work when missing
    _, _, x_te, y_te = load_digits_split()
    x, y = x_te[:setup.n], y_te[:setup.n]
    network, info, weights, _ = digits_network(setup.weight_bits, setup.seed, setup.d2d_sigma, setup.stuck_at,
                                               setup.write_sigma)
    scores, _ = float_forward(weights, x / PIXEL_MAX)
    layers = [{"n_in": layer.n_in, "n_out": layer.n_out, "v_th": layer.params.v_th, "adc_shift": layer.adc_shift}
              for layer in network.layers]
    rtl = {}
    spikes = sops = None
    if setup.backend is Backend.FLOAT:
        scores_held, _ = float_forward([i["weights"] for i in info], x / PIXEL_MAX)
        pred = scores_held.argmax(axis=1)
    else:
        pred, layer_spikes, model_sops = run_snn(network, x, setup.steps, setup.encoding, setup.seed, setup.readout,
                                                 progress=progress)
        s_in = encode(x, setup.steps, setup.encoding, setup.seed)
        spikes = [s_in] + layer_spikes
        sops = int(model_sops.sum())
        if setup.backend is Backend.RTL:
            res = run_network(network, s_in.astype(np.uint8), simulator=simulator, build_dir=f"{build_dir}/rtl",
                              progress=rtl_progress)
            rtl_spikes = [np.asarray(s, dtype=bool) for s in res["spikes"]]
            rtl_pred = readout(rtl_spikes[-1], setup.readout)
            rtl = {"mismatches": int(res["mismatches"]), "cycles": int(res["cycles"]), "sops": int(res["sops"]),
                   "model_sops": sops, "sop_per_cycle": float(res["sop_per_cycle"]),
                   "simulator": res.get("simulator"), "rtl_wall_s": res.get("wall_s"),
                   "rtl_build_s": res.get("build_s"), "prediction_mismatches": int((rtl_pred != pred).sum())}
            spikes = [s_in] + rtl_spikes
            pred = rtl_pred
    result = DigitsResult(setup, accuracy(pred, y), accuracy(scores.argmax(axis=1), y), layers, _confusion(y, pred),
                          labels=y, predictions=pred, spikes=spikes, sops=sops)
    for key, value in rtl.items():
        setattr(result, key, value)
    result.wall_s = round(time.perf_counter() - t0, 3)
    return result


def plot_digits(result, path, sample=0):
    """Spike raster of one test image per layer (input, hidden, output) beside the confusion matrix."""
    from neuroxide.fileio import save_figure
    from neuroxide.plots import new_figure
    s = result.setup
    spikes = result.spikes
    fig = new_figure(figsize=(12, 5.5), layout="constrained")
    grid = fig.add_gridspec(3, 2, width_ratios=[1.5, 1])
    fig.suptitle(f"{s.backend.value}: {100 * result.accuracy:.1f} % on {s.n} test images, "
                 f"{s.weight_bits}-bit devices, d2d {100 * s.d2d_sigma:.0f} %, stuck-at {100 * s.stuck_at:.0f} %")
    if spikes is not None:
        names = ["input (64 pixels)", f"hidden ({spikes[1].shape[2]})", "output (10 digits)"]
        for k, (name, layer) in enumerate(zip(names, spikes)):
            ax = fig.add_subplot(grid[k, 0])
            t, j = np.nonzero(layer[:, sample, :])
            ax.scatter(t, j, s=6, marker="|", color="k")
            ax.set_xlim(-0.5, layer.shape[0] - 0.5)
            ax.set_ylim(-0.5, layer.shape[2] - 0.5)
            ax.set_ylabel(name)
            if k == 2:
                ax.set_xlabel(f"time step (image {sample}: digit {result.labels[sample]}, "
                              f"predicted {result.predictions[sample]})")
                ax.set_yticks(range(10))
    else:
        ax = fig.add_subplot(grid[:, 0])
        ax.text(0.5, 0.5, "float back end: no spikes", ha="center", va="center")
        ax.set_axis_off()
    ax = fig.add_subplot(grid[:, 1])
    conf = result.confusion
    ax.imshow(conf, cmap="Blues")
    for i in range(10):
        for j in range(10):
            if conf[i, j]:
                ax.text(j, i, str(conf[i, j]), ha="center", va="center", fontsize=7,
                        color="w" if conf[i, j] > conf.max() / 2 else "k")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true digit")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_title("confusion matrix")
    return save_figure(fig, path)
