"""cocotb proof: the generated ``ts-neuron`` Verilog equals the two-phase model, full state every step.

Default suite: a short Icarus run of two calibrated neurons and the negative test (a model with a
different discharge coefficient must be caught). ``slow``: 10,000 steps on Icarus and on
Verilator for every shipped device preset.
"""

import pytest

from neuroxide.designs import configure
from neuroxide.flow import simulate_design
from support.tools import needs

PRESETS = ("nbox", "vo2", "ag-hfalox", "ag-sio2")


@needs("icarus")
def test_two_neurons_icarus(tmp_path):
    cfg = configure("ts-neuron", {"n": 2, "seed": 7})
    res = simulate_design(cfg, "icarus", steps=1000, build_dir=tmp_path)
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert res["steps"] == 1000 and res["spikes"] > 10


def test_bench_detects_a_difference(tmp_path, any_simulator):
    """A bench that cannot fail proves nothing: the model's c_on is 256 counts (1e-6) larger."""
    cfg = configure("ts-neuron", {})
    res = simulate_design(cfg, any_simulator, steps=300, build_dir=tmp_path,
                          model_params=cfg.params.replace(c_on=cfg.params.c_on + 256))
    assert res["mismatches"] > 0 and res["field_mismatches"]["v"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("simulator", [pytest.param("icarus", marks=needs("icarus")),
                                       pytest.param("verilator", marks=needs("verilator"))])
@pytest.mark.parametrize("preset", PRESETS)
def test_10000_steps(tmp_path, simulator, preset):
    cfg = configure("ts-neuron", {"preset": preset, "n": 2})
    res = simulate_design(cfg, simulator, steps=10_000, build_dir=tmp_path)
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert res["steps"] == 10_000 and res["spikes"] >= 20   # ag-* presets: 200-800 steps per period
