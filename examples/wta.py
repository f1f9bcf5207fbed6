"""Winner-take-all: a layer of LIF neurons with lateral inhibition picks the strongest input pattern.

Four output neurons read 16 inputs through a 16x4 crossbar whose column k stores template k (a
4-pixel bar: column k listens to inputs 4k..4k+3). The input is a noisy mixture: every input spikes
at a low background rate and the inputs of one bar at a higher rate (rate coding, xorshift32). Each
spike of a neuron inhibits every other neuron of the layer on the next step by ``lateral``
(docs/snn_contract.md). With ``lateral = 0`` every neuron fires in proportion to its drive; with
strong lateral inhibition the best-matching neuron fires and the others are silenced.

Run: ``.venv/bin/python examples/wta.py [--lateral 600] [--steps 100] [--json]``
"""

import argparse
import json

import numpy as np

from neuroxide.models.crossbar import Crossbar, DeviceParams
from neuroxide.models.lif import LIFParams
from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel, encode_rate

N_OUT = 4
N_IN = 16


def build_network(lateral, seed=1):
    templates = np.zeros((N_IN, N_OUT))
    for k in range(N_OUT):
        templates[4 * k:4 * k + 4, k] = 1.0
    prog = Crossbar(N_IN, N_OUT, DeviceParams(weight_bits=4), seed=seed).program(templates)
    params = LIFParams(v_bits=16, in_bits=10, decay_bits=8, decay=240, v_th=60, v_reset=0, t_ref=1,
                       v_min=-256)
    return CoreNetwork((CoreLayer(prog.w_exc, prog.w_inh, 4, params, lateral=lateral),), seed=seed)


def stimulus(winner, steps, seed=1, background=40, foreground=160):
    """Rate-coded input (``(steps, 1, 16)``): bar ``winner`` at foreground/256, the rest at background/256.

    Bar ``(winner + 1) % 4`` gets an intermediate rate so that there is a runner-up to suppress.
    """
    p = np.full(N_IN, background)
    p[4 * winner:4 * winner + 4] = foreground
    runner = (winner + 1) % N_OUT
    p[4 * runner:4 * runner + 4] = (background + foreground) // 2
    return encode_rate(p[None, :], steps, seed)


def compete(lateral, winner=2, steps=100, seed=1):
    """Spike counts per output neuron for the input favouring ``winner``."""
    trace = SNNModel(build_network(lateral, seed)).run(stimulus(winner, steps, seed))
    return trace.counts()[0].tolist()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lateral", type=int, default=600, help="inhibition per spike of another neuron")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = []
    for winner in range(N_OUT):
        free, wta = compete(0, winner, args.steps), compete(args.lateral, winner, args.steps)
        rows.append({"favoured": winner, "no_inhibition": free, "wta": wta, "wta_winner": int(np.argmax(wta))})
        print(f"input favours {winner}: spike counts without inhibition {free}, with lateral={args.lateral} {wta}")
    ok = all(r["wta_winner"] == r["favoured"] and sum(r["wta"]) - max(r["wta"]) < sum(r["no_inhibition"])
             - max(r["no_inhibition"]) for r in rows)
    print("winner-take-all", "works" if ok else "FAILED")
    if args.json:
        print(json.dumps({"lateral": args.lateral, "steps": args.steps, "rows": rows, "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
