"""``neuroxide emulate``: a design's board top in Verilator behind a pseudo-terminal serial port."""

import argparse
import json
import signal
import sys
import time

from neuroxide.commands import add_json, status
from neuroxide.errors import ParameterError
from neuroxide.experiments.checks import check_range

__all__ = ["register", "cmd_emulate"]


def cmd_emulate(args):
    from neuroxide.experiments.board_backend import emulator_build
    from neuroxide.fileio import check_folder
    from neuroxide.overrides import parse_overrides

    check_folder("--build-dir", args.build_dir)
    if args.duration is not None:
        check_range("--duration", args.duration, 0.0, 1e7, kind=float)
    if args.divisor is not None:
        check_range("--divisor", args.divisor, 4, 65536)
    status(f"emulate: building {args.design} for {args.board} with Verilator (cached after the first build) ...")
    build = emulator_build(args.design, args.board, parse_overrides(args.params), divisor=args.divisor,
                          build_dir=args.build_dir)
    from neuroxide.boards.emulate import Emulator
    emu = Emulator(build).start()
    info = build.info
    ready = {"event": "ready", "design": args.design, "board": args.board, "port": emu.port, "baud": info["baud"],
             "clock_hz": info["clock_hz"], "divisor": info["divisor"], "build_s": build.build_s, "cached": build.cached}
    print(f"emulated {args.board} running {args.design} on {emu.port} ({info['baud']} baud, "
          f"{info['divisor']} clocks per bit at {info['clock_hz'] / 1e6:g} MHz emulated)", flush=True)
    print(f"try: neuroxide link --port {emu.port} --baud {info['baud']} ping", flush=True)
    if args.json:
        print(json.dumps(ready, sort_keys=True), flush=True)

    stopping = []

    def stop(signum, frame):
        stopping.append(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    t0 = time.monotonic()
    try:
        while not stopping and emu.alive():
            left = None if args.duration is None else args.duration - (time.monotonic() - t0)
            if left is not None and left <= 0:
                break
            emu.wait(0.2 if left is None else min(0.2, left))
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        crashed = not emu.alive()
        stats = emu.stop()
    result = {"event": "stopped", "design": args.design, "board": args.board, "port": ready["port"],
              "wall_s": round(time.monotonic() - t0, 3), **{k: v for k, v in stats.items() if k != "stderr"}}
    human = (f"stopped: {stats.get('cycles', 0)} clocks ({stats['emulated_s']:g} s emulated), "
             f"{stats.get('bytes_in', 0)} bytes in, {stats.get('bytes_out', 0)} bytes out")
    print(human, flush=True)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    if crashed and not stopping:
        print(f"error: the emulator ended by itself (exit {stats.get('exit')}): {stats.get('stderr', '')}",
              file=sys.stderr)
        return 1
    return 0


def register(sub):
    p = sub.add_parser(
        "emulate", help="run a design's board top in Verilator behind a pseudo-terminal serial port",
        description="Build the board top of DESIGN for BOARD (the core behind the UART host link) with "
        "Verilator and run it with its UART on a pseudo-terminal: the path it prints (/dev/pts/N) is a "
        "serial port for `neuroxide link`, pyserial, the SNN/ONN host drivers and `--backend board`. "
        "The UART runs bit by bit at the design's baud relative to the emulated clock (the board's, or "
        "baud x --divisor for the fast path). Runs until Ctrl-C, SIGTERM or --duration.",
        epilog="examples:\n  neuroxide emulate hostlink --board icebreaker\n"
        "  neuroxide link --port /dev/pts/3 read 0xFFFF00\n"
        "  neuroxide emulate snn-core --board ulx3s-85f -p network=digits.json --divisor 8\n"
        "  neuroxide emulate onn-core --board icebreaker -p graph=G1 -p anneal_steps=200 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("design", help="a design with the UART host link: hostlink, snn-core, onn-core")
    p.add_argument("-p", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="set a design parameter (repeatable), as for `build`")
    p.add_argument("--board", required=True, help="board name (see `neuroxide boards`)")
    p.add_argument("--divisor", type=int, default=None,
                   help="fast path: emulate a clock of baud x DIVISOR Hz, DIVISOR clocks per UART bit "
                   "(4..65536; default: the board's clock)")
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds (default: run until stopped)")
    p.add_argument("--build-dir", default="build/emulate", help="Verilator builds, cached by content (default build/emulate)")
    add_json(p)
    p.set_defaults(func=cmd_emulate)
