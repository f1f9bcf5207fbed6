"""Our DP16KD model (neuroxide.testbench.ecp5_cells): small RAMs synthesised with synth_ecp5, netlist vs RTL.

Each memory (random initial values, random writes with byte enables, synchronous reads with enables,
transparent or not, addresses often colliding) runs as RTL and as its ECP5 netlist side by side under
Icarus; every read must agree, X included. The configurations cover the DP16KD modes yosys's ECP5 memory
rules produce (a 36-bit pseudo dual port with byte enables; 18-, 9-, 4- and 1-bit true dual ports). The
negative control inverts an INITVAL of the netlist.
"""

from pathlib import Path

import pytest

from support.tools import needs

CACHE = Path(__file__).resolve().parent.parent / "build" / "test-cache" / "gatelevel" / "memories"

CONFIGS = [  # (width, depth, granularity, transparent): the DP16KD mode yosys picks
    (32, 256, 8, True),     # 36-bit pseudo dual port, byte enables, transparent read (bypass logic)
    pytest.param(18, 1024, 9, False, marks=pytest.mark.slow),   # 18-bit, two 9-bit byte enables
    pytest.param(8, 2048, 8, False, marks=pytest.mark.slow),     # 9-bit words
    pytest.param(4, 4096, 4, True, marks=pytest.mark.slow),     # 4-bit words
    pytest.param(1, 16384, 1, False, marks=pytest.mark.slow),   # 1-bit words
    pytest.param(72, 512, 8, True, marks=pytest.mark.slow),     # three DP16KD side by side
]


@needs("icarus")
@pytest.mark.parametrize("width,depth,granularity,transparent", CONFIGS)
def test_ecp5_ram_netlist_equals_its_rtl(width, depth, granularity, transparent):
    from neuroxide.testbench.gatelevel import memory_check
    res = memory_check("ecp5", width, depth, CACHE / f"m{width}x{depth}g{granularity}t{int(transparent)}",
                       cycles=1500, granularity=granularity, transparent=transparent)
    assert res["cells"].get("DP16KD", 0) >= 1  # mapped to block RAM, not to logic
    assert res["mismatches"] == 0, res["first"]


@needs("icarus")
def test_a_changed_initval_is_caught():
    from neuroxide.testbench.gatelevel import flip_ram_init, memory_check
    res = memory_check("ecp5", 32, 256, CACHE / "m32x256g8t1", cycles=300, granularity=8, transparent=True,
                       tamper=flip_ram_init)
    assert res["mismatches"] > 0
