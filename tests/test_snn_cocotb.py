"""cocotb proof: the SNN core's generated Verilog equals SNNModel on Icarus and on Verilator.

Full state (v, ref, adapt, rng) and spike of every neuron of every layer at every step, batches of
samples run back to back with state resets between them, the simulator running free between
chunks (testbench/snn_top.py). The negative test gives the model one different weight. The Verilator
run of the three-layer network (a two-minute build) is ``slow``; Icarus runs it in the default suite.
"""

import numpy as np
import pytest

from neuroxide.designs import configure
from neuroxide.flow import simulate_design
from neuroxide.models.lif import LIFParams
from neuroxide.models.snn import CoreLayer, CoreNetwork
from neuroxide.testbench.snn_bench import run_network
from support.tools import needs


def three_layer_network(seed=11):
    """Every feature on: 3 layers, lateral inhibition, ADC shift, noise, adaptation, both reset modes."""
    rng = np.random.default_rng(seed)
    sizes = (12, 9, 7, 3)
    layers = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        p = LIFParams(v_bits=14, in_bits=8, v_th=(90, 70, 25)[k], decay=3900, t_ref=k, noise_bits=4, adapt_inc=9,
                      adapt_shift=3, reset_mode=("value", "subtract")[k % 2], v_min=-500)
        wb = (4, 8, 3)[k]
        top = (1 << wb) - 1
        w_exc = rng.integers(0, top + 1, (n_in, n_out))
        w_exc[0] = top  # extremes
        w_inh = rng.integers(0, top + 1, (n_in, n_out)) * (rng.random((n_in, n_out)) < 0.3)
        layers.append(CoreLayer(w_exc, w_inh, wb, p, adc_shift=(0, 3, 1)[k], lateral=(5, 0, 6)[k]))
    return CoreNetwork(tuple(layers), seed=seed)


@pytest.mark.parametrize("simulator", [pytest.param("icarus", marks=needs("icarus")),
                                       pytest.param("verilator", marks=[needs("verilator"), pytest.mark.slow])])
def test_core_verilog_equals_model_three_layers_batch(simulator, tmp_path):
    net = three_layer_network()
    steps = 40 if simulator == "verilator" else 20  # Icarus is the slower runner; keep the fast suite fast
    s = np.random.default_rng(2).random((steps, 3, net.n_in)) < 0.45
    res = run_network(net, s, simulator=simulator, build_dir=tmp_path, lanes=4, chunk=50)
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert all(a.sum() > 0 for a in res["spikes"])  # every layer fires: the comparison means something
    assert res["sops_rtl"] == res["sops"] > 0 and res["cycles"] > res["busy_cycles"] > 0
    assert res["spikes"][0].shape == (steps, 3, 9)


def test_design_simulate_json_and_digits_sized_network(tmp_path, any_simulator):
    cfg = configure("snn-core", {"n_in": 64, "n_hidden": 64, "n_out": 10, "lanes": 8})
    res = simulate_design(cfg, any_simulator, steps=30, build_dir=tmp_path)
    for key in ("design", "simulator", "steps", "cycles", "mismatches", "wall_s", "sops", "sop_per_cycle"):
        assert key in res
    assert res["mismatches"] == 0 and res["spikes"] > 0 and res["steps"] == 30
    assert res["sop_per_cycle"] > 4  # 8 lanes, ~16 input events per step


def test_bench_detects_a_different_model(tmp_path, any_simulator):
    """A bench that cannot fail proves nothing: the model gets one weight one level higher."""
    net = three_layer_network()
    la = net.layers[0]
    w = la.w_exc.copy()
    w[1, 2] = (w[1, 2] + 1) % (1 << la.weight_bits)
    other = CoreNetwork((CoreLayer(w, la.w_inh, la.weight_bits, la.params, la.adc_shift, la.lateral),) + net.layers[1:],
                        seed=net.seed)
    s = np.random.default_rng(2).random((8, 1, net.n_in)) < 0.5
    res = run_network(net, s, simulator=any_simulator, build_dir=tmp_path, lanes=2, model_network=other)
    assert res["mismatches"] > 0 and res["field_mismatches"]["v"] > 0
    assert res["first_mismatch"]["sample"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("lanes", [1, 16])
@needs("verilator")
def test_core_verilog_long_run(lanes, tmp_path):
    """The long run: 20,000 steps of the digits-sized core, full state every step, Verilator."""
    cfg = configure("snn-core", {"lanes": lanes, "seed": 7, "p_in": 48})
    res = simulate_design(cfg, "verilator", steps=20_000, build_dir=tmp_path)
    assert res["steps"] == 20_000 and res["mismatches"] == 0, res["first_mismatch"]
