"""The host link's byte-stream fuzz on the post-synthesis netlist of the link engine and register-file core.

Default: iCE40 (synth_ice40, SB_RAM40_4K for the RAM), a 20-frame fuzz run and a negative control (the
netlist with its block RAMs' first initial values inverted must mismatch). Slow: the same on ECP5 (synth_ecp5,
the RAM in a DP16KD: our model, neuroxide.testbench.ecp5_cells). 10,000 frames: `make bench
PARTS=deploy-gatelevel-hostlink`.
"""

from pathlib import Path

import pytest

from neuroxide.designs import configure
from support.tools import needs

CACHE = Path(__file__).resolve().parent.parent / "build" / "test-cache" / "gatelevel"


def _families():
    return ["ice40", pytest.param("ecp5", marks=pytest.mark.slow)]


@needs("icarus")
@pytest.mark.parametrize("family", _families())
def test_fuzz_on_the_netlist_matches_the_reference_and_the_bench_can_fail(family):
    from neuroxide.testbench.gatelevel import flip_ram_init, simulate_hostlink_gate_level
    cfg = configure("hostlink", {"seed": 5, "ram_depth": 32})
    good = simulate_hostlink_gate_level(cfg, family, "icarus", 20, CACHE, memory_words=2048)
    assert good["mismatches"] == 0, good["first_mismatch"]
    assert good["frames"] == 20 and good["responses"] >= 20 and good["bus_writes"] > 0
    # the RAM is a RAM of the netlist: block RAM on iCE40; on ECP5 a 32-word RAM is LUT RAM (the bench
    # part's default RAM is a DP16KD)
    rams = ["SB_RAM40_4K"] if family == "ice40" else ["DP16KD", "TRELLIS_DPR16X4"]
    assert sum(good["netlist"]["cells"].get(ram, 0) for ram in rams) > 0
    # negative control: the netlist with its block RAMs' first initial values inverted (the RAM no
    # longer starts at zero: the final read-back of the whole RAM sees it)
    bad = simulate_hostlink_gate_level(cfg, family, "icarus", 5, CACHE, tamper=flip_ram_init, memory_words=2048)
    assert bad["mismatches"] > 0 and bad["first_mismatch"] is not None


def test_the_fuzz_needs_the_byte_stream_configuration():
    from neuroxide.errors import ParameterError
    from neuroxide.testbench.gatelevel import simulate_hostlink_gate_level
    with pytest.raises(ParameterError, match="design"):
        simulate_hostlink_gate_level(configure("hostlink", {"uart": 1}), "ice40", "icarus", 10, CACHE)
