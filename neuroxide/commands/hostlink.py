"""``neuroxide link``: word reads and writes on a board's core through the UART host link."""

import argparse

from neuroxide.commands import add_json, emit
from neuroxide.errors import ParameterError
from neuroxide.experiments.checks import check_range

__all__ = ["register", "cmd_link"]


def _int(field, text, lo, hi):
    try:
        value = int(text, 0)
    except (TypeError, ValueError):
        raise ParameterError(field, text, f"an integer {lo:#x}..{hi:#x} (decimal or 0x hex)") from None
    if not lo <= value <= hi:
        raise ParameterError(field, text, f"{lo:#x}..{hi:#x}")
    return value


def cmd_link(args):
    from neuroxide.models import hostlink as proto
    from neuroxide.boards.host import HostLink, HostLinkError, SerialTransport

    # validate everything before touching the port
    if args.action == "ping":
        if args.values:
            raise ParameterError("values", " ".join(args.values), "none for ping")
    else:
        if not args.values:
            raise ParameterError("ADDR", None, "a word address 0x0..0xffffff")
        addr = _int("ADDR", args.values[0], 0, proto.ADDR_MASK)
        if args.action == "read":
            if len(args.values) > 2:
                raise ParameterError("values", " ".join(args.values), "ADDR [COUNT]")
            count = _int("COUNT", args.values[1], 1, 1 << 16) if len(args.values) == 2 else 1
        else:
            if len(args.values) < 2:
                raise ParameterError("WORD", None, "one or more 32-bit words after ADDR")
            words = [_int("WORD", w, 0, proto.WORD_MASK) for w in args.values[1:]]
    if not 1200 <= args.baud <= 3_000_000:
        raise ParameterError("--baud", args.baud, "1200..3000000")
    check_range("--timeout", args.timeout, 0.001, 3600.0, kind=float)

    link = HostLink(SerialTransport(args.port, args.baud), timeout_s=args.timeout)
    try:
        if args.action == "ping":
            result = link.ping()
            human = f"host link v{result['version']}, {result['max_words']} words per frame"
        elif args.action == "read":
            data = link.read(addr, count, increment=not args.fixed)
            result = {"addr": addr, "words": data}
            human = "\n".join(f"{(addr + i if not args.fixed else addr):06x}: {w:08x}"
                              for i, w in enumerate(data))
        else:
            link.write(addr, words, increment=not args.fixed)
            result = {"addr": addr, "written": len(words)}
            human = f"wrote {len(words)} word(s) at {addr:#08x}"
    except HostLinkError as error:
        emit(args, {"error": str(error), "status": error.status.name if error.status is not None else None,
                    "done": error.done}, f"error: {error}")
        return 1
    finally:
        link.close()
    result |= {"port": args.port, "baud": args.baud, "frames": link.frames, "retried": link.retried}
    emit(args, result, human)
    return 0


def register(sub):
    p = sub.add_parser(
        "link", help="read and write words on a board's core through the UART host link",
        description="Talk to a board built with the host link (e.g. `neuroxide build hostlink --board "
        "icebreaker`): ping it, read words, write words. Addresses are 24-bit word addresses of the "
        "core's register map; transfers longer than 32 words are split into frames. A device error "
        "(bad CRC, bus timeout, FIFO full ...) exits 1 with its status; a missing port exits 2.",
        epilog="examples:\n  neuroxide link --port /dev/ttyUSB1 ping\n"
        "  neuroxide link --port /dev/ttyUSB1 read 0xFFFF00\n"
        "  neuroxide link --port /dev/ttyUSB1 write 0x10 1 2 0xdeadbeef\n"
        "  neuroxide link --port /dev/ttyUSB0 --baud 115200 read 0x10 3 --json\n"
        "  neuroxide link --port /dev/ttyUSB1 write 0xFFFF01 7 8 --fixed   # a FIFO register",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=("ping", "read", "write"), help="what to do")
    p.add_argument("values", nargs="*", help="read: ADDR [COUNT]; write: ADDR WORD [WORD ...]")
    p.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB1 (iCEBreaker) or /dev/ttyUSB0 (ULX3S)")
    p.add_argument("--baud", type=int, default=115200, help="bit rate the bitstream was built for (default 115200)")
    p.add_argument("--fixed", action="store_true", help="all words to/from ADDR (FIFO registers)")
    p.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for each response (default 1)")
    add_json(p)
    p.set_defaults(func=cmd_link)
