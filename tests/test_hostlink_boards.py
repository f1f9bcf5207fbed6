"""Place and route of the host link demo (HostLinkTop + RegisterFileCore) on both boards."""

import pytest

from neuroxide.designs import configure
from neuroxide.flow import build_design
from support.tools import board_flow, needs


@pytest.mark.board
@pytest.mark.slow  # the default suite builds the lif top on both boards; these run in make test-boards / test-slow
@pytest.mark.parametrize("board, lut_cell", [
    pytest.param(b, cell, marks=needs(board_flow(b)))
    for b, cell in (("icebreaker", "ICESTORM_LC"), ("ulx3s-85f", "TRELLIS_COMB"))])
def test_hostlink_builds(board, lut_cell, tmp_path):
    res = build_design(configure("hostlink", {}), board, tmp_path)
    assert res["lut_cell"] == lut_cell and res["luts"] > 100 and res["brams"] >= 1
    assert res["timing_met"], res["fmax"]


def test_led_stretchers_count_milliseconds():
    """The LED holds count ticks of a millisecond prescaler (short counters for Fmax): after a bad
    frame the error LED lights 500 to 501 ms, the activity LED 50 to 51 ms (at 8 kHz: 8 cycles/ms)."""
    from amaranth.sim import Simulator

    from neuroxide.boards.linktop import HostLinkTop
    from neuroxide.models import hostlink as proto
    from neuroxide.rtl.register_file import RegisterFileCore

    clock_hz, baud = 8000, 1000
    top = HostLinkTop(RegisterFileCore(), baud=baud, clock_hz=clock_hz)
    frame = bytearray(proto.write_request(40, [0]))
    frame[5] ^= 4  # a bad CRC: answered with an error response
    bits = [b for byte in frame for b in [0] + [(byte >> k) & 1 for k in range(8)] + [1]]
    lit = {"err": [], "act": [], "pulse": []}

    async def bench(ctx):
        for bit in bits:
            ctx.set(top.uart_rx, bit)
            await ctx.tick().repeat(clock_hz // baud)
        ctx.set(top.uart_rx, 1)
        for cycle in range(clock_hz * 6 // 10):
            await ctx.tick()
            if ctx.get(top.link.frame_error):
                lit["pulse"].append(cycle)
            if ctx.get(top.led_error):
                lit["err"].append(cycle)
            if ctx.get(top.led_activity):
                lit["act"].append(cycle)

    sim = Simulator(top)
    sim.add_clock(1 / clock_hz)
    sim.add_testbench(bench)
    sim.run()
    per_ms = clock_hz // 1000
    assert len(lit["pulse"]) == 1
    start = lit["pulse"][0] + 1
    for name, ms in (("err", 500), ("act", 50)):
        assert lit[name][0] == start and lit[name] == list(range(start, start + len(lit[name])))
        assert ms * per_ms <= len(lit[name]) <= (ms + 1) * per_ms, (name, len(lit[name]))
