"""XOR on a 4x4 memristor crossbar with threshold-switch (TS) neurons, after Duan et al. 2020.

Duan 2020 computed XOR with a 4x4 TaOx synapse array feeding NbOx threshold-switch neurons. Here
the same 4x4 array holds a two-layer spiking network (one block per layer, the rest unused):

    rows (inputs)   A  B  h_or  h_and         columns (neurons)   h_or  h_and  xor  (spare)
    A, B -> h_or    strong weights: either input alone makes it fire            (OR)
    A, B -> h_and   weak weights: it fires readily only when both inputs drive it (AND)
    h_or -> xor     excitatory; h_and -> xor inhibitory: xor = OR and not AND

The neurons are the NbOx TS neuron of ``neuroxide device nbox`` calibrated into the fixed-point LIF
(its leak, refractory time and reset-to-V_hold ratio), rescaled to a smaller threshold so that
4-bit crossbar levels on an 8-bit grid can drive it. An input that is 1 spikes every step (a
constant drive), 0 never. The truth table is read from the xor neuron's spike count over
``steps`` steps: it fires for (0,1) and (1,0) and stays silent for (0,0) and (1,1).

Run: ``.venv/bin/python examples/xor.py [--steps 200] [--json]``
"""

import argparse
import json

import numpy as np

from neuroxide.models.calibrate import calibrate
from neuroxide.models.crossbar import Crossbar, DeviceParams
from neuroxide.models.devices import PRESETS
from neuroxide.models.lif import LIFParams
from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel

INPUTS = [(0, 0), (0, 1), (1, 0), (1, 1)]
ROWS = ("A", "B", "h_or", "h_and")
COLS = ("h_or", "h_and", "xor", "spare")


def ts_neuron(v_th, preset="nbox"):
    """The calibrated TS neuron of ``preset`` with its threshold rescaled to ``v_th`` LSBs.

    Kept from the calibration: the leak factor, the refractory steps (the device's on-time) and
    v_reset / v_th (V_hold / V_th); the membrane scale is what changes.
    """
    cal = calibrate(PRESETS[preset]).params
    return LIFParams(v_bits=16, in_bits=10, decay_bits=cal.decay_bits, decay=cal.decay, v_th=v_th,
                     v_reset=round(v_th * cal.v_reset / cal.v_th), t_ref=cal.t_ref, ref_bits=cal.ref_bits)


def crossbar_weights():
    """The float 4x4 weight matrix (rows x columns above)."""
    w = np.zeros((4, 4))
    w[0, 0] = w[1, 0] = 1.0      # A, B -> h_or
    w[0, 1] = w[1, 1] = 0.25     # A, B -> h_and
    w[2, 2] = 0.2                # h_or -> xor
    w[3, 2] = -1.0               # h_and -| xor
    return w


def build_network(device=None, seed=0):
    """Program the 4x4 crossbar and cut it into the two core layers; returns (network, programmed)."""
    device = device if device is not None else DeviceParams(weight_bits=4, grid_bits=8)
    prog = Crossbar(4, 4, device, seed=seed).program(crossbar_weights())
    hidden = CoreLayer(prog.w_exc[:2, :2], prog.w_inh[:2, :2], prog.grid_bits, ts_neuron(6144))
    output = CoreLayer(prog.w_exc[2:, 2:3], prog.w_inh[2:, 2:3], prog.grid_bits, ts_neuron(128))
    return CoreNetwork((hidden, output)), prog


def truth_table(steps=200, network=None):
    """Spike counts of (h_or, h_and) and xor for the four input pairs, run as one batch of 4."""
    network = network if network is not None else build_network()[0]
    s = np.zeros((steps, 4, 2), dtype=np.int64)
    for k, (a, b) in enumerate(INPUTS):
        s[:, k] = (a, b)
    trace = SNNModel(network, batch=4).run(s)
    hidden, xor = trace.counts(0), trace.counts(1)[:, 0]
    return [{"a": a, "b": b, "h_or": int(hidden[k, 0]), "h_and": int(hidden[k, 1]), "xor_spikes": int(xor[k]),
             "xor": int(xor[k] > 0)} for k, (a, b) in enumerate(INPUTS)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    network, prog = build_network()
    rows = truth_table(args.steps, network)
    print("crossbar levels (w_exc - w_inh, 8-bit grid), rows", ROWS, "columns", COLS)
    print(prog.w_exc - prog.w_inh)
    print(" A B | h_or h_and | xor spikes -> xor")
    for r in rows:
        print(f" {r['a']} {r['b']} | {r['h_or']:4d} {r['h_and']:5d} | {r['xor_spikes']:10d} -> {r['xor']}")
    ok = all(r["xor"] == (r["a"] ^ r["b"]) for r in rows)
    print("XOR", "reproduced" if ok else "NOT reproduced")
    if args.json:
        print(json.dumps({"steps": args.steps, "rows": rows, "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
