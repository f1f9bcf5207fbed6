"""The ONN core on its post-synthesis netlist: phases, PRNG states and energy against the model at every step.

The core's phase and PRNG memories and couplings become block RAMs with initial values (SB_RAM40_4K on
iCE40, DP16KD on ECP5), so this is where inferred memories and their initial values are checked; the
negative control inverts an initial value of each block RAM in the netlist, which must show as mismatches.
Slow (the ONN netlist runs at a few hundred clocks per second under Icarus): iCE40 and ECP5 on a 10-node
random graph. Longer runs: `make bench PARTS=deploy-gatelevel-onn`.
"""

from pathlib import Path

import pytest

from neuroxide.designs import configure
from support.tools import needs

CACHE = Path(__file__).resolve().parent.parent / "build" / "test-cache" / "gatelevel"


@pytest.mark.slow
@needs("icarus")
@pytest.mark.parametrize("family", ["ice40", "ecp5"])
def test_onn_netlist_equals_the_model_and_a_changed_ram_init_is_caught(family):
    from neuroxide.testbench.gatelevel import flip_ram_init, simulate_onn_gate_level
    cfg = configure("onn-core", {"n": 10, "anneal_steps": 30, "seed": 4})
    good = simulate_onn_gate_level(cfg, family, "icarus", 12, CACHE, chunk=12)
    assert good["steps"] == 12 and good["mismatches"] == 0, good["first_mismatch"]
    # the memories with their initial values: block RAM on iCE40, LUT RAM at this size on ECP5 (the
    # DP16KD path: tests/test_gatelevel_ecp5.py, and the bench part's 64-node graph)
    ram = "SB_RAM40_4K" if family == "ice40" else "TRELLIS_DPR16X4"
    assert good["netlist"]["cells"].get(ram, 0) > 0
    bad = simulate_onn_gate_level(cfg, family, "icarus", 4, CACHE, chunk=4, tamper=flip_ram_init)
    assert bad["mismatches"] > 0


def test_flip_ram_init_inverts_the_first_initial_value_of_each_block_ram():
    from neuroxide.errors import ParameterError
    from neuroxide.testbench.gatelevel import flip_ram_init
    text = "SB_RAM40_4K #(\n    .INIT_0(256'h00ff),\n    .INIT_1(256'h0)\n  ) r (\n" + "DP16KD #(.INITVAL_00(320'h1)) d ();"
    out = flip_ram_init(text)
    assert ".INIT_0(256'h" + "f" * 60 + "ff00)" in out and ".INIT_1(256'h0)" in out
    assert ".INITVAL_00(320'h" + "f" * 79 + "e)" in out
    with pytest.raises(ParameterError, match="netlist"):
        flip_ram_init("LUT4 #(.INIT(16'h1)) l ();")
