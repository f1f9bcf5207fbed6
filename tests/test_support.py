"""The test-only helpers can fail: the in-process CLI reports what the process would, and the tool
gate skips a missing tool, or fails it under REQUIRE_TOOLS=1."""

import pytest

from support import tools
from support.cli import run_process


def test_cli_fixture_reports_exit_codes_streams_and_json(cli, tmp_path):
    ok = cli("list", "--json")
    assert ok.code == 0 and ok.stderr == "" and "lif" in ok.json["designs"]
    bad = cli("verilog", "lif", "-p", "n=0", cwd=tmp_path)
    assert bad.code == 2 and "error:" in bad.stderr and bad.stdout == ""
    assert cli("--bogus").code == 2                                   # argparse's SystemExit becomes the code
    assert cli("--help").code == 0 and "usage" in cli("--help").stdout
    with pytest.raises(AssertionError, match="no output"):
        bad.json


def test_in_process_and_real_process_agree(cli, tmp_path):
    argv = ("verilog", "lif", "-p", "v_th=40000")
    inside, outside = cli(*argv, cwd=tmp_path), run_process(*argv, cwd=tmp_path)
    assert (inside.code, inside.stdout, inside.stderr) == (outside.code, outside.stdout, outside.stderr)


@pytest.fixture
def absent_tool(monkeypatch):
    monkeypatch.setitem(tools.TOOLS, "no-such-simulator", (lambda: False, "apt-get install no-such-simulator"))
    yield "no-such-simulator"
    tools.have.cache_clear()


def test_a_missing_tool_skips_saying_how_to_install_it(absent_tool, monkeypatch):
    monkeypatch.delenv(tools.REQUIRE_TOOLS, raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install no-such-simulator"):
        tools.require(absent_tool)


def test_a_missing_tool_fails_under_require_tools(absent_tool, monkeypatch):
    monkeypatch.setenv(tools.REQUIRE_TOOLS, "1")
    with pytest.raises(pytest.fail.Exception, match="no-such-simulator"):
        tools.require(absent_tool)


def test_unknown_tool_names_are_refused_at_collection():
    with pytest.raises(ValueError, match="known: icarus"):
        tools.needs("modelsim")


def test_board_flows_name_known_tools():
    assert {tools.board_flow(b) for b in ("icebreaker", "ulx3s-85f")} == {"nextpnr-ice40", "nextpnr-ecp5"}
    assert all(name in tools.TOOLS for name in ("icarus", "verilator", "sby"))
