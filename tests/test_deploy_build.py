"""Builds that miss their clock fail with the slack; nextpnr's seed; host-link tops need a UART."""

import pytest

from neuroxide.boards.build import TimingError, build, check_timing, parse_nextpnr_report
from neuroxide.boards.platforms import get_board
from neuroxide.errors import ParameterError
from support.tools import needs


def _report(achieved, constraint=25.0):
    figures = parse_nextpnr_report({"fmax": {"clk": {"achieved": achieved, "constraint": constraint}}},
                                   get_board("ulx3s-85f"))
    return {"board": "ulx3s-85f", "bitstream": "top.bit", **figures}


def test_slack_is_the_period_to_spare():
    met = _report(50.0)
    assert met["timing_met"] and met["slack_ns"] == pytest.approx(40.0 - 20.0)
    assert check_timing(met) is met
    missed = _report(20.0)
    assert not missed["timing_met"] and missed["slack_ns"] == pytest.approx(40.0 - 50.0)
    with pytest.raises(TimingError) as error:
        check_timing(missed)
    assert not error.value.missing  # exit 1 at the command line, not 2
    assert "slack -10.00 ns" in str(error.value) and "20.00 MHz achieved" in str(error.value)
    assert error.value.report is missed


@pytest.mark.parametrize("seed", [-1, 2**31, 1.5, True])
def test_bad_seed_is_refused_before_any_work(seed, tmp_path):
    from neuroxide.boards.top import NeuronBoardTop
    with pytest.raises(ParameterError) as error:
        build(NeuronBoardTop(), "icebreaker", tmp_path / "b", seed=seed)
    assert error.value.field == "seed"
    assert not (tmp_path / "b").exists()


def test_host_link_top_on_a_board_without_uart_is_refused_before_any_work(tmp_path):
    from neuroxide.boards.linktop import HostLinkTop
    from neuroxide.rtl.register_file import RegisterFileCore
    with pytest.raises(ParameterError) as error:
        build(HostLinkTop(RegisterFileCore(32)), "tinyfpga-bx", tmp_path / "b")
    assert error.value.field == "board" and "LED designs only" in str(error.value)
    assert not (tmp_path / "b").exists()


@pytest.mark.slow
@needs("nextpnr-ice40")
def test_a_real_build_that_misses_its_clock_fails_with_the_slack(tmp_path):
    """The LIF board top on the BlackIce II (iCE40HX4K at 100 MHz) cannot close timing."""
    from neuroxide.boards.top import NeuronBoardTop
    report = build(NeuronBoardTop(n=4), "blackice-ii", tmp_path / "b", name="lif", seed=3)
    assert report["seed"] == 3 and "--seed 3" in (tmp_path / "b" / "build_lif.sh").read_text()
    assert report["timing_met"] is False and report["slack_ns"] < 0
    with pytest.raises(TimingError, match="slack"):
        check_timing(report)


@pytest.mark.parametrize("text, seeds", [("1-4", [1, 2, 3, 4]), ("3,7,3", [3, 7]), ("1-2,9", [1, 2, 9]), ("0", [0])])
def test_seed_lists_and_ranges(text, seeds):
    from neuroxide.flow import parse_seeds
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "x", "4-1", "-1", "1-65", f"{2**31}", "1,,2"])
def test_bad_seed_lists_name_the_flag(text):
    from neuroxide.flow import parse_seeds
    with pytest.raises(ParameterError) as error:
        parse_seeds(text)
    assert error.value.field == "--seeds"


@needs("nextpnr-ice40")
def test_a_seed_sweep_places_one_netlist_with_each_seed_and_keeps_the_fastest(tmp_path):
    """One synthesis, nextpnr per seed: the rows are each seed's own report, the bitstream is the best seed's."""
    import json
    from neuroxide.boards.build import sweep_seeds
    from neuroxide.boards.top import NeuronBoardTop
    report = sweep_seeds(NeuronBoardTop(n=1), "icebreaker", tmp_path / "b", [5, 6], name="lif")
    rows = {r["seed"]: r for r in report["seeds"]}
    assert list(rows) == [5, 6]
    folder = tmp_path / "b"
    assert "--seed 6" in (folder / "build_lif.s6.sh").read_text()
    assert (folder / "lif.s6.bin").stat().st_size > 0
    second = parse_nextpnr_report(json.loads((folder / "lif.s6.report.json").read_text()), get_board("icebreaker"))
    assert rows[6]["fmax_mhz"] == second["fmax_mhz"]
    best = max(rows.values(), key=lambda r: r["fmax_mhz"])["seed"]
    assert report["best_seed"] == best and report["fmax_mhz"] == rows[best]["fmax_mhz"]
    own = folder / ("lif.bin" if best == 5 else f"lif.s{best}.bin")
    assert (folder / "lif.bin").read_bytes() == own.read_bytes()
