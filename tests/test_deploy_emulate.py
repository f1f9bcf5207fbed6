"""The emulated board: a board top in Verilator behind a pseudo-terminal, driven by the unmodified host side.

Emulator builds are cached by content under build/test-cache/emulate (git-ignored), so only the first
run on a machine pays the Verilator compile (~15 s of CPU for the hostlink top).
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from support.tools import needs

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "test-cache" / "emulate"


@pytest.fixture(scope="module")
def hostlink_emulator():
    from neuroxide.boards.emulate import Emulator
    from neuroxide.experiments.board_backend import emulator_build
    build = emulator_build("hostlink", "icebreaker", {"ram_depth": 64}, divisor=8, build_dir=CACHE)
    emu = Emulator(build).start()
    yield emu
    emu.stop()


@needs("verilator")
def test_link_commands_and_pyserial_through_the_emulated_board(hostlink_emulator, cli):
    from neuroxide.boards.host import open_serial
    port = hostlink_emulator.port
    assert port.startswith("/dev/")
    ping = cli("link", "--port", port, "ping", "--json")
    written = cli("link", "--port", port, "write", "0x20", "7", "0xdeadbeef", "--json")
    read = cli("link", "--port", port, "read", "0x20", "2", "--json")
    ident = cli("link", "--port", port, "read", "0xFFFF00", "--json")
    assert (ping.code, written.code, read.code, ident.code) == (0, 0, 0, 0), ping.stderr + read.stderr
    assert read.json["words"] == [7, 0xDEADBEEF]
    assert ident.json["words"] == [0x4E580001]
    with open_serial(port, 115200) as link:  # longer transfers: several frames each way
        words = [(i * 2654435761) & 0xFFFFFFFF for i in range(64)]
        link.write(0, words)
        assert link.read(0, 64) == words
        for _ in range(5):  # a full FIFO answers BUS_ERROR, exit 1 at the command line
            full = cli("link", "--port", port, "write", "0xFFFF01", "1", "--fixed", "--json")
    assert full.code == 1 and full.json["status"] == "BUS_ERROR"


@needs("verilator")
def test_a_host_that_dies_mid_frame_does_not_wedge_the_board(hostlink_emulator):
    import serial

    from neuroxide.boards.host import open_serial
    from neuroxide.models import hostlink as proto
    port = hostlink_emulator.port
    half = proto.write_request(0x10, [1, 2, 3])[:9]  # header, address and half of the words
    raw = serial.Serial(port, 115200, timeout=0.1)
    raw.write(half)  # then the host goes away
    raw.close()
    time.sleep(0.05)
    with open_serial(port, 115200, timeout_s=2.0) as link:
        assert link.ping()["max_words"] == 32  # the link's frame timeout dropped the half frame
        assert link.read(0x10, 1) != [1]


def test_emulate_refuses_a_design_without_the_host_link_and_unknown_boards(cli, tmp_path):
    lif = cli("emulate", "lif", "--board", "icebreaker", "--build-dir", str(tmp_path / "b"))
    assert lif.code == 2 and "design" in lif.stderr and "host link" in lif.stderr
    board = cli("emulate", "hostlink", "--board", "nope", "--build-dir", str(tmp_path / "b"))
    assert board.code == 2 and "board" in board.stderr and "icebreaker" in board.stderr
    divisor = cli("emulate", "hostlink", "--board", "icebreaker", "--divisor", "2", "--build-dir", str(tmp_path / "b"))
    assert divisor.code == 2 and "--divisor" in divisor.stderr
    assert not (tmp_path / "b").exists()


@pytest.mark.slow
@needs("verilator")
def test_emulate_command_as_a_process(tmp_path):
    """`neuroxide emulate ... --json` prints the port, serves `neuroxide link`, and stops on SIGTERM."""
    cmd = [sys.executable, "-m", "neuroxide.cli", "emulate", "hostlink", "--board", "icebreaker", "-p", "ram_depth=64",
           "--divisor", "8", "--build-dir", str(CACHE), "--json"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = None
        while ready is None:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            if line.startswith("{"):
                ready = json.loads(line)
        link = subprocess.run([sys.executable, "-m", "neuroxide.cli", "link", "--port", ready["port"], "read",
                               "0xFFFF00", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert link.returncode == 0, link.stderr
        assert json.loads(link.stdout.splitlines()[-1])["words"] == [0x4E580001]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    stopped = json.loads(out.strip().splitlines()[-1])
    assert stopped["event"] == "stopped" and stopped["bytes_in"] > 0 and stopped["bytes_out"] > 0
    assert stopped["framing_errors"] == 0


@pytest.mark.slow
@needs("verilator")
def test_digits_images_through_the_emulated_board_equal_the_model(tmp_path):
    from neuroxide.boards.emulate import Emulator
    from neuroxide.experiments.board_backend import emulator_build, run_network_on_board, write_network_config
    from neuroxide.experiments.digits import digits_network
    from neuroxide.models.train import DEFAULT_STEPS, encode, load_digits_split, run_snn

    network = digits_network()[0]
    config = tmp_path / "digits.json"
    write_network_config(network, config)
    x = load_digits_split()[2][:4]
    _, model_spikes, _ = run_snn(network, x, DEFAULT_STEPS, "rate", 1)
    s_in = encode(x, DEFAULT_STEPS, "rate", 1).astype(np.uint8)
    build = emulator_build("snn-core", "ulx3s-85f", {"network": str(config)}, divisor=8, build_dir=CACHE)
    with Emulator(build) as emu:
        board = run_network_on_board(network, s_in, emu.port)
        # the experiment's board back end (neuroxide digits --backend board --port ...) on the same port
        from neuroxide.experiments.digits import DigitsSetup, run_digits
        via_digits = run_digits(DigitsSetup("board", limit=4, port=emu.port))
        model = run_digits(DigitsSetup("model", limit=4))
        stats = emu.stop()
    assert via_digits.mismatches == 0 and via_digits.prediction_mismatches == 0
    assert via_digits.accuracy == model.accuracy and via_digits.to_dict()["link"]["frames"] > 0
    assert stats["framing_errors"] == 0 and board["retried"] == 0
    assert sum(int(s.sum()) for s in model_spikes) > 0
    for want, got in zip(model_spikes, board["spikes"]):
        assert want.shape == got.shape
        assert np.array_equal(want, got)


@pytest.mark.slow
@needs("verilator")
def test_maxcut_anneal_through_the_emulated_board_equals_the_model(tmp_path):
    from neuroxide.boards.emulate import Emulator
    from neuroxide.experiments.board_backend import emulator_build, run_maxcut_on_board
    from neuroxide.models.gset import load_graph
    from neuroxide.models.onn import solve_maxcut

    rng = np.random.default_rng(3)
    n = 24
    edges = [(i, j) for i in range(1, n + 1) for j in range(i + 1, n + 1) if rng.random() < 0.2]
    path = tmp_path / "g24.txt"
    path.write_text(f"{n} {len(edges)}\n" + "".join(f"{i} {j} 1\n" for i, j in edges))
    graph = load_graph(str(path))
    sweeps, restarts, seed = 100, 3, 5
    model = solve_maxcut(graph, sweeps, restarts, seed)
    # the graph file's path is not part of the gateware: a fixed name keeps the cached build
    fixed = CACHE.parent / "g24.txt"
    fixed.parent.mkdir(parents=True, exist_ok=True)
    fixed.write_text(path.read_text())
    build = emulator_build("onn-core", "icebreaker", {"graph": str(fixed), "anneal_steps": sweeps}, divisor=8,
                           build_dir=CACHE)
    with Emulator(build) as emu:
        board = run_maxcut_on_board(graph, sweeps, restarts, seed, emu.port)
    assert board["cuts"] == [int(c) for c in model.cuts]
    assert np.array_equal(board["spins"], model.spins)


@pytest.mark.parametrize("design, params", [("hostlink", {}), ("onn-core", {"n": 8}),
                                            ("snn-core", {"n_in": 8, "n_hidden": 0, "n_out": 4})])
def test_baud_sets_the_uart_divisor_of_a_board_top(design, params):
    """``-p baud=N`` reaches the UART of the board top: the iCEBreaker's 12 MHz at 3 Mbaud is 4 clocks a bit,
    the ULX3S's 25 MHz at 1 Mbaud 25; a baud its clock cannot make (25 MHz / 3 Mbaud = 8.33) is refused.
    Every design's top is the one HostLinkTop, so the Verilog (whose UART divides by the divisor derived
    from the top's baud and clock) is generated for the hostlink top only: the cores' tops are checked to
    carry the baud."""
    from neuroxide.boards.emulate import emulation_verilog
    from neuroxide.boards.linktop import HostLinkTop
    from neuroxide.boards.platforms import get_board
    from neuroxide.designs import configure, get_design
    from neuroxide.errors import ParameterError
    from neuroxide.rtl.uart import uart_divisor
    for board, baud, divisor in (("icebreaker", 3_000_000, 4), ("ulx3s-85f", 1_000_000, 25)):
        cfg = configure(design, params | {"baud": baud})
        top = get_design(design).board_top(cfg, board)
        assert isinstance(top, HostLinkTop) and top.baud == baud
        assert uart_divisor(get_board(board).clock_hz, top.baud) == divisor
        if design == "hostlink":
            text, info = emulation_verilog(top, get_board(board).clock_hz)
            assert (info["baud"], info["divisor"]) == (baud, divisor) and "uart_tx" in text
    with pytest.raises(ParameterError, match="baud"):
        get_design(design).board_top(configure(design, params | {"baud": 3_000_000}), "ulx3s-85f")
