"""cocotb proof: the generated ``izhikevich`` Verilog equals the fixed-point model, every step.

The bench top holds one neuron per panel with its stimulus in a ROM; the simulator runs the whole
protocol free and the bench compares v, u and spike of every neuron after every step.
Default: six panels of different classes on Icarus (one combined run), the pipelined datapath on
three others, and the negative test; all 20 panels on Icarus and the Verilator runs are ``slow``.
"""

import pytest

from neuroxide.designs import configure
from neuroxide.flow import simulate_design
from support.tools import needs


# tonic spiking, phasic bursting, spike latency, subthreshold oscillations, rebound spike,
# inhibition-induced spiking (the pipelined test adds C, H, R)
DEFAULT_PANELS = ("A", "D", "I", "J", "M", "S")


@needs("icarus")
@pytest.mark.parametrize("panels", [pytest.param(DEFAULT_PANELS, id="six"),
                                    pytest.param(None, id="all-20", marks=pytest.mark.slow)])
def test_panels_icarus(panels, tmp_path):
    cfg = configure("izhikevich", {"panel": "all"})
    if panels is not None:
        cfg = type(cfg)(**(cfg.__dict__ | {"panels": panels}))
    res = simulate_design(cfg, "icarus", steps=10**6, build_dir=tmp_path)
    assert res["neurons"] == len(panels or cfg.panels) and res["steps"] >= 1000
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
