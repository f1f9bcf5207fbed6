"""cocotb proof of the zoo's datapaths: the dendrite Verilog and every LIF-mapped design with its
calibrated parameters, compared with the model on the full state at every step; plus the negative
test that proves the dendrite bench detects a difference."""

import pytest

from neuroxide.designs import configure
from neuroxide.flow import simulate_design
from support.tools import needs

LIF_MAPPED = ["fefet", "afefet", "mtj", "stochastic-ts", "nbo2-osc"]
# the default suite proves two of them (no leak; leak + refractory + latch-aware range); the mtj
# parameters are also proven by mtj-wta; every one runs in the slow suite (and 200,000 steps on Verilator)
FAST = {"fefet", "nbo2-osc"}


def test_dendrite_verilog_equals_model(tmp_path, any_simulator):
    cfg = configure("dendrite", {"n": 2, "seed": 7})
    res = simulate_design(cfg, any_simulator, steps=4000, build_dir=tmp_path)
    assert res["steps"] == 4000 and res["cycles"] >= 4000
    assert res["spikes"] > 100
    assert res["mismatches"] == 0, res["first_mismatch"]


@pytest.mark.parametrize("design", [d if d in FAST else pytest.param(d, marks=pytest.mark.slow) for d in LIF_MAPPED])
def test_calibrated_lif_designs_equal_the_model(design, tmp_path, any_simulator):
    cfg = configure(design, {"n": 2, "seed": 11})
    res = simulate_design(cfg, any_simulator, steps=3000, build_dir=tmp_path)
    assert res["spikes"] > 0
    assert res["mismatches"] == 0, res["first_mismatch"]


def test_mtj_wta_verilog_equals_model_and_the_bench_can_fail(tmp_path, any_simulator):
    cfg = configure("mtj-wta", {"n": 3, "seed": 4})
    res = simulate_design(cfg, any_simulator, steps=2000, build_dir=tmp_path / "ok")
    assert res["spikes"] > 0 and res["mismatches"] == 0, res["first_mismatch"]
    bad = simulate_design(cfg, any_simulator, steps=400, build_dir=tmp_path / "bad", model_w_lat=cfg.w_lat // 2)
    assert bad["mismatches"] > 0


def test_dendrite_bench_detects_a_difference(tmp_path, any_simulator):
    cfg = configure("dendrite", {"n": 1})
    wrong = cfg.params.replace(d_th=cfg.params.d_th + 1)
    res = simulate_design(cfg, any_simulator, steps=500, build_dir=tmp_path, model_params=wrong)
    assert res["mismatches"] > 0 and res["field_mismatches"]["d"] > 0


@pytest.mark.slow
@needs("verilator")
@pytest.mark.parametrize("design", ["dendrite", "mtj-wta"] + LIF_MAPPED)
def test_long_verilator_runs(design, tmp_path):
    cfg = configure(design, {"n": 4, "seed": 3})
    res = simulate_design(cfg, "verilator", steps=200_000, build_dir=tmp_path, chunk=8192)
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert res["spikes"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("simulator", [pytest.param("verilator", marks=needs("verilator"))])
def test_dendrite_on_verilator(simulator, tmp_path):
    res = simulate_design(configure("dendrite", {"n": 2, "seed": 5}), simulator, steps=4000, build_dir=tmp_path)
    assert res["mismatches"] == 0 and res["spikes"] > 0
