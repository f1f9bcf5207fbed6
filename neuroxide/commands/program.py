"""``neuroxide program``: load a bitstream (or build a design and load it) into a board with openFPGALoader."""

import argparse
from pathlib import Path

from neuroxide.commands import add_json, emit, status
from neuroxide.errors import ParameterError

__all__ = ["register", "cmd_program", "program_target"]


def program_target(target, board, params=(), flash=False, build_dir="build/boards", dry_run=False):
    """Program ``target`` (a bitstream path, or a design name that is built first) into ``board``;
    returns :func:`neuroxide.boards.program.program`'s dict, with ``build`` (the build report) when
    a design was built. Everything that needs no cable is checked before the build."""
    from neuroxide.boards.platforms import get_board
    from neuroxide.boards.program import BITSTREAM_SUFFIX, find_loader, loader_argv, program
    from neuroxide.designs import DESIGNS

    spec = get_board(board)
    path = Path(target)
    is_file = path.suffix in set(BITSTREAM_SUFFIX.values()) or path.exists()
    if not is_file and target not in DESIGNS:
        raise ParameterError("TARGET", target, f"a bitstream file ({', '.join(sorted(set(BITSTREAM_SUFFIX.values())))}) "
                             f"or a design: {' | '.join(DESIGNS)}", why="no such file or design")
    loader_argv(find_loader(), spec, path, flash)  # a board openFPGALoader cannot program: exit 2 now
    built = None
    if not is_file:
        from neuroxide.designs import configure
        from neuroxide.fileio import check_folder
        from neuroxide.flow import build_design
        from neuroxide.overrides import parse_overrides
        check_folder("--build-dir", build_dir)
        cfg = configure(target, parse_overrides(list(params)))
        status(f"program: building {target} for {board} first ...")
        built = build_design(cfg, board, build_dir)
        path = Path(built["bitstream"])
    elif params:
        raise ParameterError("-p", " ".join(params), "none with a bitstream file", why="-p sets design parameters")
    result = program(path, board, flash=flash, dry_run=dry_run)
    if built is not None:
        result["build"] = built
    return result


def cmd_program(args):
    res = program_target(args.target, args.board, args.params, args.flash, args.build_dir, args.dry_run)
    where = "configuration flash" if res["flash"] else "SRAM (lost at power-off; --flash to keep it)"
    if res["ran"]:
        human = f"programmed {res['board']} ({where}) with {res['bitstream']}"
    else:
        human = "would run: " + " ".join(res["command"])
    emit(args, res, human)
    return 0


def register(sub):
    p = sub.add_parser(
        "program", help="load a bitstream (or build a design and load it) into a board with openFPGALoader",
        description="Program BOARD with TARGET, a bitstream file (.bin on iCE40, .bit on ECP5) or a design name "
        "(built first, as `neuroxide build`). Loads the FPGA's SRAM (ECP5; lost at power-off) or, with --flash, "
        "its configuration flash; iCE40 boards are always programmed through their SPI flash. No board on the "
        "USB bus, or no permission to open it, exits 2 with what was looked for and the udev rule that fixes it.",
        epilog="examples:\n  neuroxide program build/boards/lif-icebreaker/lif.bin --board icebreaker\n"
        "  neuroxide program hostlink --board ulx3s-85f --flash\n"
        "  neuroxide program snn-core --board ulx3s-85f -p network=digits.json --dry-run",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="TARGET", help="bitstream file or design name")
    p.add_argument("--board", required=True, help="board name (see `neuroxide boards`)")
    p.add_argument("-p", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="design parameter when TARGET is a design (repeatable)")
    p.add_argument("--flash", action="store_true", help="write the configuration flash (kept at power-off)")
    p.add_argument("--dry-run", action="store_true", help="check and print the openFPGALoader command, do not run it")
    p.add_argument("--build-dir", default="build/boards", help="build folder when TARGET is a design")
    add_json(p)
    p.set_defaults(func=cmd_program)
