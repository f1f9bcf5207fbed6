"""cocotb proof: the generated ``lif`` Verilog equals the model on Icarus and on Verilator.

Each run is >= 10,000 steps of on-chip random stimulus with every feature on, the full state of
every neuron compared at every step. The simulators run free between chunks (see testbench/).
"""

import pytest

from neuroxide.designs import configure
from neuroxide.flow import simulate_design
from support.tools import needs

EVERYTHING_ON = {"n": 4, "seed": 2024, "noise_bits": 6, "adapt_inc": 180, "adapt_shift": 5, "t_ref": 3,
                 "reset_mode": "subtract", "v_min": -6000, "stim_p_inh": 80}


@pytest.mark.parametrize("simulator", [pytest.param("icarus", marks=needs("icarus")),
                                       pytest.param("verilator", marks=needs("verilator"))])
def test_lif_verilog_equals_model_10k_steps(simulator, tmp_path):
    cfg = configure("lif", EVERYTHING_ON)
    # the default chunk (2048 steps): five free runs, so the hand-over between chunks is covered too
    res = simulate_design(cfg, simulator, steps=10_000, build_dir=tmp_path)
    assert res["steps"] == 10_000
    assert res["spikes"] > 500  # the stimulus really exercises firing, refractory and adaptation
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert res["cycles"] >= 10_000


@pytest.mark.parametrize("mode", ["value", "subtract"])
def test_default_and_reset_modes_on_one_simulator(mode, tmp_path, any_simulator):
    cfg = configure("lif", {"n": 2, "reset_mode": mode, "seed": 9})
    res = simulate_design(cfg, any_simulator, steps=3000, build_dir=tmp_path)
    assert res["mismatches"] == 0 and res["spikes"] > 0


def test_bench_detects_a_difference(tmp_path, any_simulator):
    """A bench that cannot fail proves nothing: give the model a different leak than the RTL."""
    cfg = configure("lif", {"n": 2})
    wrong = cfg.params.replace(decay=cfg.params.decay - 1)
    res = simulate_design(cfg, any_simulator, steps=500, build_dir=tmp_path, model_params=wrong)
    assert res["mismatches"] > 0
    assert res["field_mismatches"]["v"] > 0 and res["first_mismatch"]["step"] >= 0


@pytest.mark.parametrize("simulator, ext", [pytest.param("icarus", ".fst", marks=needs("icarus")),
                                            pytest.param("verilator", ".vcd", marks=[needs("verilator"), pytest.mark.slow])])
def test_waveforms_on_request(simulator, ext, tmp_path):
    waves = tmp_path / f"lif{ext}"
    res = simulate_design(configure("lif", {"n": 1}), simulator, steps=100, build_dir=tmp_path / "b", waves=waves)
    assert res["mismatches"] == 0
    assert waves.exists() and waves.stat().st_size > 1000


@pytest.mark.slow
@needs("verilator")
def test_lif_verilog_equals_model_one_million_steps(tmp_path):
    """The long run (make test-slow): 10**6 steps x 4 neurons, full state every step, Verilator."""
    res = simulate_design(configure("lif", EVERYTHING_ON | {"seed": 77}), "verilator", steps=1_000_000,
                          build_dir=tmp_path, chunk=16_384)
    assert res["steps"] == 1_000_000 and res["mismatches"] == 0, res["first_mismatch"]
