"""The lif bench on the post-synthesis netlists (yosys synth_ice40 / synth_ecp5 + the cell models)."""

from pathlib import Path

import pytest

from support.tools import needs

CACHE = Path(__file__).resolve().parent.parent / "build" / "test-cache" / "gatelevel"


@needs("icarus")
def test_lif_netlist_equals_the_model_and_the_bench_can_fail():
    from neuroxide.designs import configure
    from neuroxide.models.lif import LIFParams
    from neuroxide.testbench.gatelevel import simulate_gate_level
    cfg = configure("lif", {})
    good = simulate_gate_level(cfg, "ice40", "icarus", 120, CACHE, chunk=60)
    assert good["steps"] == 120 and good["mismatches"] == 0 and good["netlist"] == "post-synthesis ice40"
    bad = simulate_gate_level(cfg, "ice40", "icarus", 120, CACHE, chunk=60,
                              model_params=LIFParams(**{**cfg.params.__dict__, "v_th": cfg.params.v_th // 2}))
    assert bad["mismatches"] > 0


def test_the_netlist_replaces_the_design_modules(tmp_path):
    from amaranth.back import verilog

    from neuroxide.designs import configure
    from neuroxide.testbench.gatelevel import gate_level_netlist, split_modules
    from neuroxide.testbench.top import LIFBenchTop
    cfg = configure("lif", {})
    text = verilog.convert(LIFBenchTop(cfg.params, cfg.n, cfg.seed, cfg.stimulus, 8), name="lif_bench", emit_src=False)
    gl, sources, includes = gate_level_netlist(text, ["\\lif_bench.dut", "\\lif_bench.stim"], "ice40", CACHE / "unit")
    modules = split_modules(gl)
    assert "lif_bench" in modules and "\\lif_bench.dut.neuron0" not in modules  # flattened into the netlist
    assert "SB_LUT4" in modules["\\lif_bench.dut"] and "trace" in modules["lif_bench"]
    assert Path(sources[0]).read_text().startswith("`define NO_ICE40_DEFAULT_ASSIGNMENTS")


def test_ecp5_cell_models_load_and_carry_a_dp16kd_behaviour(tmp_path):
    from neuroxide.errors import ParameterError
    from neuroxide.testbench.gatelevel import cell_models, split_modules
    sources, includes = cell_models("ecp5", tmp_path)
    text = Path(sources[0]).read_text()
    modules = split_modules(text)
    assert "`include" not in text and "$error" not in text and includes == []  # one file, Icarus-clean
    assert "DP16KD" in modules and "blackbox" not in modules["DP16KD"] and "mem[" in modules["DP16KD"]
    assert text.count("module TRELLIS_FF(") == 1 and "MULT18X18D" in modules
    with pytest.raises(ParameterError, match="family"):
        cell_models("gowin", tmp_path)


@pytest.mark.slow
@needs("icarus")
def test_lif_ecp5_netlist_equals_the_model_and_the_bench_can_fail():
    from neuroxide.designs import configure
    from neuroxide.models.lif import LIFParams
    from neuroxide.testbench.gatelevel import simulate_gate_level
    cfg = configure("lif", {})
    good = simulate_gate_level(cfg, "ecp5", "icarus", 120, CACHE, chunk=60)
    assert good["steps"] == 120 and good["mismatches"] == 0 and good["netlist"] == "post-synthesis ecp5"
    assert good["netlist_info"]["cells"].get("TRELLIS_FF", 0) > 0
    bad = simulate_gate_level(cfg, "ecp5", "icarus", 120, CACHE, chunk=60,
                              model_params=LIFParams(**{**cfg.params.__dict__, "v_th": cfg.params.v_th // 2}))
    assert bad["mismatches"] > 0
