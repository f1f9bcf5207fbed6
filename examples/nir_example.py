"""A spiking network written as NIR with the ``nir`` package, imported onto the SNN core, checked, exported.

1. build a 16-12-4 LIF network in NIR (as snnTorch's export would write it: ``tau = dt / (1 - beta)``,
   ``r = tau / dt``, Affine layers with biases, lateral inhibition between the 4 outputs) and write
   ``net.nir``;
2. import it (``neuroxide nir import``): forward-Euler discretisation at dt = 1 ms, 8-bit weights;
3. run random input spikes on the float NIR semantics and on the fixed-point model, print the
   spike-count agreement per output neuron;
4. write the core configuration for ``neuroxide simulate|build snn-core -p network=...`` and export
   the fixed-point network back to NIR (the round trip returns the identical network);
5. also write ``rec.nir``, a CubaLIF layer with a recurrent matrix (docs/nir.md's second graph).

Run: ``.venv/bin/python examples/nir_example.py [OUT_DIR]`` (default build/nir_example); docs/nir.md
continues with the RTL run and the bitstream.
"""

import sys
from pathlib import Path

import nir
import numpy as np

from neuroxide.fileio import write_json
from neuroxide.models.nir_map import agreement, export_graph, load, simulate_float, to_core, write_graph
from neuroxide.models.snn import SNNModel, network_to_dict

DT = 1e-3


def build_graph(seed=0, beta=0.9):
    """16 inputs -> Affine -> 12 LIF -> Affine -> 4 LIF (+ lateral inhibition) -> output."""
    rng = np.random.default_rng(seed)
    tau = DT / (1 - beta)

    def lif(n):
        return nir.LIF(tau=np.full(n, tau), r=np.full(n, tau / DT), v_leak=np.zeros(n), v_threshold=np.ones(n),
                       v_reset=np.zeros(n))
    nodes = {"input": nir.Input(np.array([16])),
             "fc1": nir.Affine(rng.normal(0, 0.6, (12, 16)), rng.normal(0.05, 0.0, 12)), "lif1": lif(12),
             "fc2": nir.Affine(rng.normal(0, 0.7, (4, 12)), np.full(4, 0.05)), "lif2": lif(4),
             "wta": nir.Linear(-0.3 * (1 - np.eye(4))),
             "output": nir.Output(np.array([4]))}
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output"),
             ("lif2", "wta"), ("wta", "lif2")]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": DT})


def build_recurrent_graph(seed=3):
    """16 inputs -> 12 CubaLIF (tau_syn = 5 ms) with a recurrent Linear (snnTorch RSynaptic-like)
    -> Affine -> 4 LIF: the core's synaptic current and recurrent crossbar (docs/nir.md)."""
    rng = np.random.default_rng(seed)

    def cuba(n):
        return nir.CubaLIF(tau_syn=np.full(n, 5e-3), tau_mem=np.full(n, 1e-2), r=np.full(n, 10.0), v_leak=np.zeros(n),
                           v_threshold=np.ones(n), v_reset=np.zeros(n))
    nodes = {"input": nir.Input(np.array([16])), "fc1": nir.Linear(rng.normal(0, 0.6, (12, 16))), "syn1": cuba(12),
             "rec1": nir.Linear(rng.normal(0, 0.3, (12, 12))),
             "fc2": nir.Affine(rng.normal(0, 0.7, (4, 12)), np.full(4, 0.05)),
             "lif2": nir.LIF(tau=np.full(4, 1e-2), r=np.full(4, 10.0), v_leak=np.zeros(4), v_threshold=np.ones(4),
                             v_reset=np.zeros(4)),
             "output": nir.Output(np.array([4]))}
    edges = [("input", "fc1"), ("fc1", "syn1"), ("syn1", "rec1"), ("rec1", "syn1"), ("syn1", "fc2"), ("fc2", "lif2"),
             ("lif2", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": DT})


def main(out_dir="build/nir_example"):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_graph(build_graph(), out / "net.nir")
    write_graph(build_recurrent_graph(), out / "rec.nir")
    net = load(out / "net.nir")
    mapping = to_core(net, weight_bits=8)
    for layer, info in zip(mapping.network.layers, mapping.layers):
        p = layer.params
        print(f"{info['node']}: {layer.n_in}->{layer.n_out}, v_th {p.v_th}, decay {p.decay}/2^{p.decay_bits}, "
              f"bias {p.bias}, lateral {layer.lateral}, adc_gain {layer.adc_gain}")
    spikes = np.random.default_rng(1).random((200, 32, 16)) < 0.25
    fl = simulate_float(net, spikes)
    tr = SNNModel(mapping.network, 32).run(spikes)
    a = agreement(tr.counts(), fl["spikes"][-1].sum(axis=0))
    print("spike-count agreement per output neuron:", " ".join(f"{100 * x:.2f} %" for x in a["per_neuron"]))
    print(f"overall {100 * a['overall']:.2f} %, output spikes float {a['spikes'][1]} / model {a['spikes'][0]}")
    write_json(out / "core.json", mapping.to_dict())
    graph, lossy = export_graph(mapping.network, DT)
    write_graph(graph, out / "exported.nir")
    back = to_core(load(out / "exported.nir"))
    same = network_to_dict(back.network) == network_to_dict(mapping.network)
    print(f"core configuration: {out / 'core.json'}; export -> import identical: {same}")
    return a, same


if __name__ == "__main__":
    main(*sys.argv[1:])
