"""Train a small MLP on the 8x8 handwritten digits (numpy only) and convert it to the SNN core.

Data: scikit-learn's bundled ``load_digits`` (1797 images of 8x8 pixels, intensities 0..16),
split once, stratified, ``train_test_split(test_size=0.3, random_state=0)``: 1257 train, 540 test.
Inputs are ``pixel / 16`` in [0, 1], the spike probability per step of the input channel.

Float network: 64 -> ``hidden`` (ReLU) -> 10, **no biases** (the core's bias is one per layer, not
per neuron, so the network is trained without them). Plain numpy: He-normal init from
``numpy.random.default_rng(seed)``, Adam on softmax cross-entropy with L2, shuffled mini-batches,
``epochs`` passes. With the defaults it takes a few seconds and is deterministic for a given seed;
the trained weights are cached as ``build/digits/mlp_<key>.npz`` (key: the hyper-parameters) so
later runs skip training. No weights are shipped: retraining is cheap and always reproducible.

Then **quantisation-aware fine-tuning** (optional, ``qat_epochs``): a few more epochs whose forward
pass uses the weights as the crossbar would store them (symmetric, ``2**weight_bits`` device
levels per side, scale = max |w| of the layer) and whose gradient passes straight through.

ANN -> SNN conversion (:func:`convert`), rate coding with threshold balancing:

* each layer's weights are programmed on a :class:`~neuroxide.models.crossbar.Crossbar`
  (differential pairs, ``weight_bits`` device levels, an 8-bit readback grid, the device's
  non-idealities); ``(w_exc - w_inh) * scale`` approximates the float weights;
* neurons are integrate-and-fire: no leak (``decay = 2**decay_bits``), ``reset_mode="subtract"``
  (the residue carries over, so the rate is linear in the input), ``t_ref = 0``, ``v_init =
  v_th / 2`` (rounds the spike count to nearest instead of down);
* the ADC shift of each layer is the smallest that keeps the largest possible column sum inside
  ``in_bits`` (so the ADC never saturates on valid input);
* threshold balancing: the layer's threshold ``v_th`` corresponds to ``lambda_l``, the
  ``percentile``-th percentile of that layer's float activations on the training set, so that a
  neuron's rate ~ activation / lambda_l reaches 1 spike per step only on rare outliers.

Spike count of the output layer over the window is the class (ties to the lowest index).
"""

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from neuroxide.errors import ParameterError

from .crossbar import Crossbar, DeviceParams
from .lif import LIFParams
from .snn import CoreLayer, CoreNetwork, SNNModel, encode_current, encode_rate, float_forward, intensity_to_p, readout

__all__ = ["TrainConfig", "load_digits_split", "train_mlp", "trained_mlp", "quantise_levels", "convert",
           "encode", "ENCODINGS", "DEFAULT_STEPS", "run_snn", "accuracy"]

DEFAULT_STEPS = 32
ENCODINGS = ("rate", "current")
PIXEL_MAX = 16


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of the float network (all of them enter the cache key)."""

    hidden: int = 64
    epochs: int = 60
    batch_size: int = 32
    learning_rate: float = 2e-3
    l2: float = 1e-4
    seed: int = 0
    qat_bits: int = 4
    qat_epochs: int = 20

    def key(self):
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def load_digits_split():
    """``(x_train, y_train, x_test, y_test)``; x are pixel intensities 0..16 (float), y 0..9."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    data = load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(data.data, data.target, test_size=0.3, random_state=0,
                                              stratify=data.target)
    return x_tr, y_tr.astype(np.int64), x_te, y_te.astype(np.int64)


def quantise_levels(w, bits):
    """Symmetric quantisation to ``2**bits`` levels per sign, scale = max |w| (as the crossbar)."""
    w_max = float(np.abs(w).max())
    if w_max == 0:
        return np.zeros_like(w)
    top = (1 << bits) - 1
    return np.floor(np.abs(w) / w_max * top + 0.5) * np.sign(w) * (w_max / top)


def _softmax_xent_grad(scores, y):
    z = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y] + 1e-12).mean()
    p[np.arange(len(y)), y] -= 1.0
    return loss, p / len(y)


def train_mlp(cfg=TrainConfig(), x=None, y=None):
    """Train the float MLP; returns ``[w1, w2]`` (float64, ``(64, hidden)`` and ``(hidden, 10)``)."""
    if x is None:
        x, y, _, _ = load_digits_split()
    x = np.asarray(x, dtype=np.float64) / PIXEL_MAX
    rng = np.random.default_rng(cfg.seed)
    sizes = [x.shape[1], cfg.hidden, 10]
    ws = [rng.standard_normal((a, b)) * np.sqrt(2.0 / a) for a, b in zip(sizes[:-1], sizes[1:])]
    m = [np.zeros_like(w) for w in ws]
    v = [np.zeros_like(w) for w in ws]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    t = 0
    for epoch in range(cfg.epochs + cfg.qat_epochs):
        qat = epoch >= cfg.epochs
        order = rng.permutation(len(x))
        for start in range(0, len(x), cfg.batch_size):
            idx = order[start:start + cfg.batch_size]
            xb, yb = x[idx], y[idx]
            # straight-through estimator in the QAT epochs: forward on stored levels, update floats
            fw = [quantise_levels(w, cfg.qat_bits) for w in ws] if qat else ws
            h_pre = xb @ fw[0]
            h = np.maximum(h_pre, 0.0)
            scores = h @ fw[1]
            _, d_scores = _softmax_xent_grad(scores, yb)
            g2 = h.T @ d_scores + cfg.l2 * ws[1]
            d_h = (d_scores @ fw[1].T) * (h_pre > 0)
            g1 = xb.T @ d_h + cfg.l2 * ws[0]
            t += 1
            for k, g in enumerate((g1, g2)):
                m[k] = beta1 * m[k] + (1 - beta1) * g
                v[k] = beta2 * v[k] + (1 - beta2) * g * g
                m_hat = m[k] / (1 - beta1 ** t)
                v_hat = v[k] / (1 - beta2 ** t)
                ws[k] = ws[k] - cfg.learning_rate * m_hat / (np.sqrt(v_hat) + eps)
    return ws


def trained_mlp(cfg=TrainConfig(), cache_dir="build/digits"):
    """:func:`train_mlp` through the cache ``cache_dir/mlp_<key>.npz`` (None: no cache)."""
    if cache_dir is not None:
        path = Path(cache_dir) / f"mlp_{cfg.key()}.npz"
        if path.exists():
            with np.load(path) as f:
                return [f["w1"], f["w2"]]
    ws = train_mlp(cfg)
    if cache_dir is not None:
        from neuroxide.fileio import atomic_path
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, w1=ws[0], w2=ws[1], config=json.dumps(asdict(cfg)))
    return ws


def accuracy(pred, y):
    return float(np.mean(np.asarray(pred) == np.asarray(y)))


def convert(weights, x_train, device=None, seed=0, in_bits=12, v_bits=16, percentile=99.9,
            network_seed=1):
    """Convert float weights to a :class:`CoreNetwork` through crossbars of ``device``.

    ``x_train`` (pixel intensities) sets the thresholds (threshold balancing, module docstring).
    Crossbar l draws its spread and faults from seed ``seed + l``. Returns ``(network, info)`` with
    ``info`` per layer: ``scale`` (float weight per grid step), ``lambda`` (activation at one spike
    per step), ``v_th``, ``adc_shift``, the programmed float ``weights``.
    """
    device = device if device is not None else DeviceParams(weight_bits=4, grid_bits=8, adc_bits=in_bits)
    if device.adc_bits != in_bits:
        device = DeviceParams(**{**asdict(device), "adc_bits": in_bits})
    x = np.asarray(x_train, dtype=np.float64) / PIXEL_MAX
    _, acts = float_forward(weights, x)
    layers, info = [], []
    a_in = x
    for k, w in enumerate(weights):
        xbar = Crossbar(w.shape[0], w.shape[1], device, seed=seed + k)
        prog = xbar.program(w)
        # the activation the float layer would have with the programmed weights
        z = np.maximum(a_in @ prog.weights, 0.0)  # the output layer's neurons cannot go below 0 either
        lam = float(np.percentile(z[z > 0], percentile)) if (z > 0).any() else 1.0
        max_col = int(max(prog.w_exc.sum(axis=0).max(), prog.w_inh.sum(axis=0).max()))
        adc_shift = max(0, int(max_col).bit_length() - in_bits)
        unit = prog.scale * (1 << adc_shift)       # float weight per ADC LSB
        v_th = max(1, int(np.floor(lam / unit + 0.5)))
        v_hi = (1 << (v_bits - 1)) - 1
        if v_th > v_hi - (1 << in_bits):
            raise ParameterError("v_th", v_th, f"<= {v_hi - (1 << in_bits)} (v_bits={v_bits})",
                                 "threshold balancing needs a wider membrane")
        params = LIFParams(v_bits=v_bits, in_bits=in_bits, decay_bits=8, decay=256, v_th=v_th, v_reset=0,
                           v_init=v_th // 2, reset_mode="subtract", t_ref=0, adapt_inc=0, noise_bits=0,
                           ref_bits=1)
        layers.append(CoreLayer(prog.w_exc, prog.w_inh, weight_bits=prog.grid_bits, params=params,
                                adc_shift=adc_shift))
        info.append({"scale": prog.scale, "lambda": lam, "v_th": v_th, "adc_shift": adc_shift,
                     "weights": prog.weights})
        # the next layer sees rates a / lambda (at most one spike per step), and is balanced on them
        a_in = np.minimum(z / lam, 1.0)
    return CoreNetwork(tuple(layers), seed=network_seed), info


def encode(x, steps=DEFAULT_STEPS, encoding="rate", seed=1):
    """Pixel intensities ``(batch, 64)`` -> input spikes ``(steps, batch, 64)``."""
    p = intensity_to_p(x, PIXEL_MAX)
    if encoding == "rate":
        return encode_rate(p, steps, seed)
    if encoding == "current":
        return encode_current(p, steps)
    raise ParameterError("encoding", encoding, " | ".join(ENCODINGS))


def run_snn(network, x, steps=DEFAULT_STEPS, encoding="rate", seed=1, mode="count", batch=256, progress=None):
    """Classify ``x`` with the fixed-point model; returns ``(pred, spikes_per_layer, sops)``."""
    x = np.asarray(x)
    preds, sops, spikes = [], [], [[] for _ in network.layers]
    for start in range(0, len(x), batch):
        xb = x[start:start + batch]
        s_in = encode(xb, steps, encoding, seed)
        trace = SNNModel(network, len(xb)).run(s_in)
        preds.append(readout(trace.spikes[-1], mode))
        sops.append(trace.sops)
        for k, sp in enumerate(trace.spikes):
            spikes[k].append(sp)
        if progress is not None:
            progress(len(xb))
    return (np.concatenate(preds), [np.concatenate(s, axis=1) for s in spikes], np.concatenate(sops))
