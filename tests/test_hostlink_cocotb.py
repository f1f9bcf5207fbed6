"""Host link Verilog under cocotb: the HostLink driver through the UART pins, and byte-stream fuzz.

Default (Icarus, ~35 s): the driver bench (random writes read back intact, FIFO overflow,
malformed frames answered with their codes and no bus write, the whole RAM read back), a short
fuzz run, and the negative control (a reference with a different RAM must mismatch).
Slow (each Verilator build takes about a minute): the same two benches on Verilator, and
100,000 random and mutated frames on Verilator.
"""

import pytest

from neuroxide.designs import configure
from neuroxide.flow import simulate_design
from support.tools import needs


def _sims():
    return [pytest.param("icarus", marks=needs("icarus")),
            pytest.param("verilator", marks=[needs("verilator"), pytest.mark.slow])]


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    # one build folder per module: benches with the same Verilog reuse the simulator build
    return tmp_path_factory.mktemp("hostlink_sim")


@pytest.mark.parametrize("simulator", _sims())
def test_driver_through_uart(simulator, build_dir):
    res = simulate_design(configure("hostlink", {"uart": 1, "seed": 3}), simulator, 15, build_dir)
    assert res["mismatches"] == 0, res
    assert res["steps"] == 15 and res["errors"] == []
    assert res["bytes_received"] > 4 * 256  # the whole RAM came back through the UART


@pytest.mark.parametrize("simulator", _sims())
def test_fuzz_matches_reference(simulator, build_dir):
    res = simulate_design(configure("hostlink", {"seed": 5}), simulator, 300, build_dir)
    assert res["mismatches"] == 0, res.get("first_mismatch")
    # every fuzz frame is answered (a response or an error code); glued garbage may add more
    assert res["steps"] == 300 and res["responses"] >= res["steps"] and res["bus_writes"] > 0


@needs("icarus")
def test_fuzz_detects_a_wrong_reference(build_dir):
    from neuroxide.designs.hostlink import DESIGN
    cfg = configure("hostlink", {"seed": 5})
    res = DESIGN.simulate(cfg, "icarus", 100, build_dir, model_ram_depth=128)
    assert res["mismatches"] > 0 and res["first_mismatch"] is not None


@pytest.mark.slow
@needs("verilator")
def test_fuzz_100k_frames_verilator(build_dir):
    res = simulate_design(configure("hostlink", {"seed": 11}), "verilator", 100_000, build_dir)
    assert res["mismatches"] == 0, res.get("first_mismatch")
    assert res["steps"] == 100_000
    assert res["responses"] >= res["steps"]  # every frame answered or rejected with an error code
