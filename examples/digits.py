"""Handwritten digits on crossbar synapses, step by step through the library (no CLI).

1. load the 64-64-10 float network's trained weights (shipped as models/data/digits_mlp.npz;
   ``python -m neuroxide.models.train --check`` retrains them bit for bit);
2. program it onto 4-bit memristor crossbars (differential pairs, 8-bit readback grid);
3. convert to the fixed-point SNN core (IF neurons, threshold balancing) and classify the 540
   test images from rate-coded spikes over 32 steps;
4. repeat with device-to-device spread and stuck-at faults to see what they cost.

Run: ``.venv/bin/python examples/digits.py`` (the same as ``neuroxide digits``, spelled out).
"""

import numpy as np

from neuroxide.models.crossbar import DeviceParams
from neuroxide.models.snn import float_forward
from neuroxide.models.train import PIXEL_MAX, TrainConfig, accuracy, convert, load_digits_split, run_snn, trained_mlp


def main():
    x_tr, y_tr, x_te, y_te = load_digits_split()
    weights = trained_mlp(TrainConfig())
    scores, _ = float_forward(weights, x_te / PIXEL_MAX)
    print(f"float network: {100 * accuracy(scores.argmax(axis=1), y_te):.2f} %")
    results = {}
    for label, device in [("4-bit ideal", DeviceParams(weight_bits=4, grid_bits=8)),
                          ("4-bit, d2d 10 %", DeviceParams(weight_bits=4, grid_bits=8, d2d_sigma=0.1)),
                          ("4-bit, 5 % stuck", DeviceParams(weight_bits=4, grid_bits=8, stuck_at=0.05))]:
        network, info = convert(weights, x_tr, device, seed=1)
        pred, spikes, sops = run_snn(network, x_te, steps=32)
        results[label] = accuracy(pred, y_te)
        print(f"SNN model, {label}: {100 * results[label]:.2f} %  "
              f"(v_th {[layer.params.v_th for layer in network.layers]}, {np.mean(sops):.0f} SOPs/image)")
    return results


if __name__ == "__main__":
    main()
