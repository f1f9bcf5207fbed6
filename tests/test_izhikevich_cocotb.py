"""cocotb proof: the generated ``izhikevich`` Verilog equals the fixed-point model, every step.

The bench top holds one neuron per panel with its stimulus in a ROM; the simulator runs the whole
protocol free and the bench compares v, u and spike of every neuron after every step.
Default: all 20 panels on Icarus (one combined run), the pipelined datapath on three panels, and
the negative test; the Verilator runs (~40 s per build here) are ``slow``.
"""

import pytest

from neuroxide.designs import configure
from neuroxide.flow import simulate_design
from support.tools import needs


@needs("icarus")
def test_all_20_panels_icarus(tmp_path):
    cfg = configure("izhikevich", {"panel": "all"})
    res = simulate_design(cfg, "icarus", steps=10**6, build_dir=tmp_path)
    assert res["steps"] == 1601 and res["neurons"] == 20
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert all(p["mismatches"] == 0 and p["spikes_rtl"] > 0 for p in res["per_panel"].values())


@needs("icarus")
def test_pipelined_datapath_icarus(tmp_path):
    cfg = configure("izhikevich", {"panel": "all", "pipelined": 1})
    cfg = type(cfg)(**(cfg.__dict__ | {"panels": ("C", "H", "R")}))
    res = simulate_design(cfg, "icarus", steps=10**6, build_dir=tmp_path)
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert res["cycles"] >= 5 * res["steps"]  # five cycles per step
    assert res["per_panel"]["H"]["spikes_rtl"] >= 14


def test_bench_detects_a_difference(tmp_path, any_simulator):
    """A bench that cannot fail proves nothing: give the model's A0 one LSB more than the RTL's."""
    cfg = configure("izhikevich", {"panel": "A"})
    res = simulate_design(cfg, any_simulator, steps=200, build_dir=tmp_path,
                          model_coeff_offset={"field": "a0", "delta": 1})
    assert res["mismatches"] > 0 and res["first_mismatch"]["panel"] == "A"


@pytest.mark.slow
@needs("verilator")
@pytest.mark.parametrize("pipelined", [0, 1])
def test_all_20_panels_verilator(pipelined, tmp_path):
    cfg = configure("izhikevich", {"panel": "all", "pipelined": pipelined})
    res = simulate_design(cfg, "verilator", steps=10**6, build_dir=tmp_path)
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert res["neurons"] == 20 and res["steps"] == 1601


@pytest.mark.slow
@needs("verilator")
def test_one_panel_verilator(tmp_path):
    cfg = configure("izhikevich", {"panel": "H"})
    res = simulate_design(cfg, "verilator", steps=10**6, build_dir=tmp_path)
    assert res["mismatches"] == 0 and res["spikes"] >= 14
