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
