"""cocotb proof: the generated ``hh`` Verilog equals the fixed-point HH model, every step.

One neuron per stimulus, inputs from ROMs, the simulator runs free; the bench compares v, m, h, n
and spike of every neuron after every step. Default: two stimuli for 1,500 steps on Icarus and the
negative test; the full set (8 stimuli x 10,000 steps) on Verilator and Icarus is ``slow``.
"""

import pytest

from neuroxide.designs import configure
from neuroxide.flow import simulate_design
from support.tools import needs


@needs("icarus")
def test_two_stimuli_icarus(tmp_path):
    cfg = configure("hh", {"stimuli": "step40,noise"})
    res = simulate_design(cfg, "icarus", steps=1500, build_dir=tmp_path)
    assert res["steps"] == 1500 and res["cycles"] >= 2 * 1500
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert res["spikes"] >= 1


def test_bench_detects_a_difference(tmp_path, any_simulator):
    """A bench that cannot fail proves nothing: feed the model one LSB more input than the RTL."""
    cfg = configure("hh", {"stimuli": "step40"})
    res = simulate_design(cfg, any_simulator, steps=300, build_dir=tmp_path, model_current_offset=1)
    assert res["mismatches"] > 0 and res["first_mismatch"]["stimulus"] == "step40"


@pytest.mark.slow
@pytest.mark.parametrize("simulator", [pytest.param("verilator", marks=needs("verilator")),
                                       pytest.param("icarus", marks=needs("icarus"))])
def test_full_stimulus_set(simulator, tmp_path):
    cfg = configure("hh", {"stimuli": "all"})
    res = simulate_design(cfg, simulator, steps=10_000, build_dir=tmp_path)
    assert res["steps"] == 10_000 and res["neurons"] == 8
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert res["spikes"] > 20
