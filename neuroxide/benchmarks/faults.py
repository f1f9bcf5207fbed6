"""Fault campaigns on the digits crossbars: accuracy vs stuck-at devices and vs read noise.

Part ``digits-faults``: the 64-64-10 digits network of ``neuroxide.models.train`` programmed on
4-bit differential pairs (8-bit readback grid), 540 test images, 32 steps, rate coding,
spike-count readout, each point over ``seeds`` (a seed draws the fault map, the spread, the
encoder and the neurons).

* **Stuck-at** 0..20 % of devices, three ways: stuck off (at G_min), stuck on (at G_max), and
  mixed half/half (``DeviceParams.stuck_on_fraction``). A stuck device ignores what is written;
  the core stores what was actually programmed, so this campaign runs on exactly the integers the
  RTL would hold (the RTL equals the model bit for bit; docs/snn_contract.md).
* **Read noise** 0..100 % (relative std per device per read, ``G * (1 + read_sigma * z)``, the
  float crossbar's :meth:`~neuroxide.models.crossbar.Crossbar.read` rule). The integer core reads
  its stored levels exactly (read noise is out of the bit-exact contract, see the crossbar
  docstring), so this campaign emulates an analog array on the host: at every time step every
  device's conductance is redrawn, converted back to grid units and accumulated as the core
  accumulates (floor through the ADC shift, saturating). Two time scales: noise redrawn every
  step (fast noise, which the 32-step window averages) and noise held for the whole window (slow
  fluctuations). Per device, shared by the images of one batch.

Returns per point the mean/min/max accuracy, the number of devices faulted and reads perturbed,
and writes ``docs/img/faults_digits.png``.
"""

import sys

import numpy as np

from neuroxide.benchmarks.snn_accuracy import _stats, draw_band

__all__ = ["PARTS", "digits_faults", "run_with_read_noise", "plot_faults"]

STUCK = (0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2)
STUCK_KINDS = {"off": 0.0, "on": 1.0, "mixed": 0.5}     # stuck_on_fraction
READ_SIGMA = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
NOISE_TIMES = ("step", "window")      # redrawn every step, or held for the whole 32-step window


def run_with_read_noise(network, x, device, read_sigma, steps, seed, batch=540, redraw="step"):
    """Classify ``x`` with ``network`` whose crossbar reads carry relative noise ``read_sigma``.

    Conductance of a stored grid level ``w``: ``G = G_min + w / grid_max * (G_max - G_min)``;
    each step each device reads ``G * (1 + read_sigma * z)``, ``z ~ N(0, 1)`` from
    ``default_rng([seed, 4, batch_start])`` (the crossbar's read-noise stream), and the column
    sums are those noisy conductances above G_min in grid units (negative readings clip to 0).
    With ``read_sigma == 0`` this is exactly :func:`~neuroxide.models.train.run_snn`. Returns ``(pred, reads)``: predictions
    and the number of device reads perturbed.

    ``redraw="step"``: fresh noise every step (fast, e.g. thermal/shot noise: averages out over
    the window); ``redraw="window"``: one draw held for the whole window (slow fluctuations, e.g.
    random telegraph noise with a long dwell time: acts like a programming error per inference).
    """
    if redraw not in NOISE_TIMES:
        raise ValueError(f"redraw must be one of {NOISE_TIMES}")
    from neuroxide.models.snn import SNNModel, readout
    from neuroxide.models.train import encode
    # in grid units a device at level w has G = G_min + w * dG, so G * (1 + s z) - G_min = w + (w + g0) s z
    g0 = device.g_min_siemens / (device.g_max_siemens - device.g_min_siemens) * device.grid_max
    stored = [[w.astype(np.float64) for w in (layer.w_exc, layer.w_inh)] for layer in network.layers]
    preds, reads = [], 0
    for start in range(0, len(x), batch):
        xb = x[start:start + batch]
        s_in = encode(xb, steps, "rate", seed)
        model = SNNModel(network, len(xb))
        rng = np.random.default_rng([seed, 4, start])
        out_spikes = np.zeros((steps, len(xb), network.n_out), dtype=bool)
        for t in range(steps):
            if redraw == "step" or t == 0:
                for k, pair in enumerate(stored):
                    for side, w in enumerate(pair):
                        noisy = w + (w + g0) * (read_sigma * rng.standard_normal(w.shape)) if read_sigma else w
                        # the model's float64 accumulation matrices (integers for the core; noisy reals here)
                        (model._w_exc if side == 0 else model._w_inh)[k] = np.maximum(noisy, 0.0)
            out_spikes[t] = model.step(s_in[t])[-1]
            reads += sum(w.size for pair in stored for w in pair)
        preds.append(readout(out_spikes, "count"))
    return np.concatenate(preds), reads


def digits_faults(seeds=(1, 2, 3), steps=32, plot="docs/img/faults_digits.png", build_dir="build/digits",
                  progress=True):
    from tqdm import tqdm

    from neuroxide.models.crossbar import Crossbar, DeviceParams
    from neuroxide.models.train import TrainConfig, accuracy, convert, load_digits_split, run_snn, trained_mlp
    x_tr, _, x_te, y_te = load_digits_split()
    weights = trained_mlp(TrainConfig(), cache_dir=build_dir)
    devices_total = sum(2 * w.size for w in weights)
    out = {"n": int(len(y_te)), "steps": steps, "seeds": list(seeds), "weight_bits": 4, "grid_bits": 8,
           "devices": devices_total, "stuck": {kind: {} for kind in STUCK_KINDS}, "read_noise": {when: {} for when in NOISE_TIMES},
           "faults_injected": 0, "noisy_reads": 0}
    runs = len(seeds) * (len(STUCK) * len(STUCK_KINDS) + len(READ_SIGMA) * len(NOISE_TIMES))
    bar = tqdm(total=runs, desc="digits faults", unit="run", disable=not progress, file=sys.stderr)
    for kind, on_fraction in STUCK_KINDS.items():
        for p in STUCK:
            accs, faulted = [], []
            for seed in seeds:
                dev = DeviceParams(weight_bits=4, grid_bits=8, stuck_at=p, stuck_on_fraction=on_fraction)
                network, _ = convert(weights, x_tr, dev, seed=seed, network_seed=seed)
                pred, _, _ = run_snn(network, x_te, steps, "rate", seed)
                accs.append(accuracy(pred, y_te))
                # the same maps convert() drew (crossbar l has seed + l)
                faulted.append(sum(int((Crossbar(w.shape[0], w.shape[1], dev, seed=seed + k).stuck != 0).sum())
                                   for k, w in enumerate(weights)))
                bar.update()
            out["stuck"][kind][str(p)] = _stats(accs) | {"devices_faulted": faulted}
            out["faults_injected"] += sum(faulted)
    for when in NOISE_TIMES:
        for sigma in READ_SIGMA:
            accs = []
            for seed in seeds:
                dev = DeviceParams(weight_bits=4, grid_bits=8)
                network, _ = convert(weights, x_tr, dev, seed=seed, network_seed=seed)
                pred, reads = run_with_read_noise(network, x_te, dev, sigma, steps, seed, redraw=when)
                accs.append(accuracy(pred, y_te))
                if sigma:
                    out["noisy_reads"] += reads
                bar.update()
            out["read_noise"][when][str(sigma)] = _stats(accs)
    bar.close()
    if plot:
        plot_faults(out, plot)
        out["plot"] = plot
    return out


def plot_faults(res, path):
    from neuroxide.fileio import save_figure
    from neuroxide.plots import new_figure
    fig = new_figure(figsize=(11, 4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)

    for (kind, points), color in zip(res["stuck"].items(), ("C0", "C3", "C2")):
        draw_band(axes[0], points, {"off": "stuck at G_min", "on": "stuck at G_max", "mixed": "half and half"}[kind],
             color)
    axes[0].set_xlabel("stuck devices (%)")
    axes[0].set_ylabel("test accuracy (%)")
    draw_band(axes[1], res["read_noise"]["step"], "redrawn every step", "C1")
    draw_band(axes[1], res["read_noise"]["window"], "held for the 32-step window", "C4")
    axes[1].set_xlabel("read noise, relative std (%)")
    for ax in axes:
        ax.axhline(95, color="r", ls=":", lw=1, label="95 % target")
        ax.axhline(10, color="gray", ls="--", lw=1, label="chance")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left", fontsize=8)
    axes[0].set_ylim(0, 100)
    fig.suptitle(f"8x8 digits, {res['n']} test images, 64-64-10 SNN on 4-bit differential pairs, "
                 f"mean and min..max over seeds {res['seeds']}")
    save_figure(fig, path)


PARTS = {"digits-faults": digits_faults}
