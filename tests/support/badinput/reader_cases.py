"""Bad input to the readers behind the command line: ``maxcut`` and its G-set graph files, the
G-set reader called directly, the device preset lookup, and host-link request frames (the
decoder raises ``ProtocolError`` with the status the device answers)."""

from pathlib import Path

from .case import TMP, Case, cli_case, subcommand, write_repeated

__all__ = ["GSET_FILES", "reader_cases", "hostlink_cases"]

GSET_FILES = [
    # (name, category, content, field, what)
    ("empty.txt", "empty", b"", "graph", "empty file"),
    ("blank.txt", "empty", b"\n\n   \n", "graph", "only blank lines"),
    ("garbage.bin", "malformed", bytes(range(256)) * 8, "graph", "binary garbage (not UTF-8)"),
    ("nul.txt", "malformed", b"\x00" * 1000, "header", "1000 NUL bytes"),
    ("noheader.txt", "malformed", b"1 2 1\n2 3 1\n", "header", "edge lines without a header"),
    ("oneword.txt", "malformed", b"3\n1 2 1\n", "header", "header with one number"),
    ("texthdr.txt", "malformed", b"three two\n1 2 1\n", "header.nodes", "header 'three two'"),
    ("truncated.txt", "malformed", b"3 3\n1 2 1\n2 3 1\n", "header.edges", "truncated: 3 edges promised, 2 given"),
    ("extra.txt", "malformed", b"3 1\n1 2 1\n2 3 1\n", "header.edges", "more edge lines than the header says"),
    ("twotok.txt", "malformed", b"3 1\n1 2\n", "edge", "edge line with two fields"),
    ("floatw.txt", "malformed", b"3 1\n1 2 1.5\n", "edge.w", "edge weight 1.5"),
    ("nanw.txt", "malformed", b"3 1\n1 2 nan\n", "edge.w", "edge weight nan"),
    ("infw.txt", "malformed", b"3 1\n1 2 inf\n", "edge.w", "edge weight inf"),
    ("texti.txt", "malformed", b"3 1\na 2 1\n", "edge.i", "vertex id 'a'"),
    ("selfloop.txt", "malformed", b"3 1\n2 2 1\n", "edge.j", "self loop 2-2"),
    ("zeroid.txt", "out-of-range", b"3 1\n0 2 1\n", "edge.i", "vertex id 0 (ids are 1-based)"),
    ("bigid.txt", "out-of-range", b"3 1\n1 4 1\n", "edge.j", "vertex id 4 of 3 nodes"),
    ("negnodes.txt", "out-of-range", b"-3 1\n1 2 1\n", "header.nodes", "negative node count"),
    ("zeronodes.txt", "out-of-range", b"0 0\n", "header.nodes", "zero nodes"),
    ("negedges.txt", "out-of-range", b"3 -1\n", "header.edges", "negative edge count"),
    ("nodes1e9.txt", "huge", b"1000000000 1\n1 2 1\n", "header.nodes", "header claiming 10^9 nodes"),
    ("nodes1e30.txt", "huge", b"1000000000000000000000000000000 1\n1 2 1\n", "header.nodes",
     "header claiming 10^30 nodes"),
    ("edges1e12.txt", "huge", b"3 1000000000000\n1 2 1\n", "header.edges", "header claiming 10^12 edges, 1 given"),
    ("bigw.txt", "huge", b"3 1\n1 2 99999999999999999999999\n", "edge.w", "edge weight 10^23 (beyond int64)"),
    ("wide.txt", "huge", None, "edge", "an edge line with 10^6 fields"),
    ("big20mb.txt", "huge", None, "header.nodes", "20 MB file whose header claims 10^9 nodes"),
]


def _gset_content(name, content):
    if name == "wide.txt":
        return b"3 1\n" + b"1 " * 1_000_000 + b"\n"
    if name == "big20mb.txt":
        return write_repeated(b"1 2 1\n", 3_500_000, head=b"1000000000 3500000\n")
    return content


def reader_cases():
    """``maxcut`` options and graph files, the G-set reader, preset lookup, host-link frames."""
    cases = []
    add = cases.append
    T = TMP

    # --- maxcut: CLI options, and the G-set reader behind it
    mc = subcommand("maxcut", "maxcut")
    add(mc("unknown-name", "graph G99", "graph", "G99"))
    add(mc("unknown-name", "graph g1 (lower case, no such file)", "graph", "g1"))
    add(mc("missing-file", "graph file that does not exist", "graph", f"{T}/missing.txt"))
    add(mc("missing-file", "graph that is a folder", "graph", f"{T}/adir", files=(("adir/keep", b""),)))
    add(mc("out-of-range", "--sweeps 0", "--sweeps", "G1", "--sweeps", "0"))
    add(mc("huge", "--sweeps 10^9", "--sweeps", "G1", "--sweeps", "1000000000"))
    add(mc("malformed", "--sweeps abc", "--sweeps", "G1", "--sweeps", "abc"))
    add(mc("out-of-range", "--restarts 0", "--restarts", "G1", "--restarts", "0"))
    add(mc("huge", "--restarts 10^6", "--restarts", "G1", "--restarts", "1000000"))
    add(mc("out-of-range", "--seed -1", "--seed", "G1", "--seed", "-1"))
    add(mc("out-of-range", "--fmax-mhz 0", "--fmax-mhz", "G1", "--fmax-mhz", "0"))
    add(mc("malformed", "--fmax-mhz nan", "--fmax-mhz", "G1", "--fmax-mhz", "nan"))
    add(mc("huge", "--fmax-mhz inf", "--fmax-mhz", "G1", "--fmax-mhz", "inf"))
    add(mc("unknown-name", "--backend gpu", "--backend", "G1", "--backend", "gpu"))
    add(mc("unknown-name", "--simulator modelsim", "--simulator", "G1", "--backend", "rtl", "--simulator", "modelsim"))
    add(mc("missing-file", "--build-dir is a file (rtl)", "--build-dir", "G1", "--backend", "rtl", "--restarts", "1",
           "--sweeps", "1", "--build-dir", f"{T}/afile", files=(("afile", b"x"),)))
    for name, cat, content, fld, what in GSET_FILES:
        add(Case("maxcut", cat, f"graph file: {what}", fld, argv=("maxcut", f"{T}/{name}"),
                 files=((name, _gset_content(name, content)),)))
    add(Case("maxcut", "huge", "graph file: weight 2^31-1 (beyond the core's coupling scale)", "graph",
             argv=("maxcut", f"{T}/w.txt", "--restarts", "1", "--sweeps", "5"),
             files=(("w.txt", b"3 1\n1 2 2147483647\n"),)))
    add(cli_case("verilog", "huge", "-p graph= weight 2^31-1 (onn-core)", "graph", "verilog", "onn-core", "-p",
                 f"graph={T}/w.txt", "-o", f"{T}/out.v", files=(("w.txt", b"3 1\n1 2 2147483647\n"),),
                 outputs=("out.v",)))
    add(Case("maxcut", "huge", "graph file: a 20 MB header-first failure, via the real binary", "header.nodes",
             argv=("maxcut", f"{T}/big.txt"), files=(("big.txt", _gset_content("big20mb.txt", None)),),
             subprocess=True))

    # --- the G-set reader called directly (what `-p graph=` and `maxcut` share)
    for name, cat, content, fld, what in GSET_FILES:
        if name in ("big20mb.txt", "wide.txt"):
            continue  # tried through maxcut above; the reader is the same
        add(Case("G-set reader", cat, what, fld, call=_gset_call(name), files=((name, _gset_content(name, content)),)))
    add(Case("G-set reader", "missing-file", "a path that does not exist", "graph", call=_gset_call("missing.txt")))
    add(Case("G-set reader", "unknown-name", "name 'G0'", "graph", call=_gset_name_call("G0")))
    add(Case("G-set reader", "empty", "name ''", "graph", call=_gset_name_call("")))
    add(Case("G-set reader", "malformed", "UTF-16 text", "graph", call=_gset_call("u16.txt"),
             files=(("u16.txt", "3 1\n1 2 1\n".encode("utf-16")),)))

    # --- preset lookup (models/devices/presets.py and zoo.py)
    for what, cat, name, fn in (("'nope' (threshold switch)", "unknown-name", "nope", "get_preset"),
                                ("'' (threshold switch)", "empty", "", "get_preset"),
                                ("'fefet-sihfo2' is not a threshold switch", "unknown-name", "fefet-sihfo2",
                                 "get_preset"),
                                ("'nope' (any family)", "unknown-name", "nope", "get_any_preset"),
                                ("'' (any family)", "empty", "", "get_any_preset"),
                                ("None (any family)", "empty", None, "get_any_preset"),
                                ("a list instead of a name", "malformed", ["nbox"], "get_any_preset"),
                                ("a list instead of a name (threshold switch)", "malformed", ["nbox"], "get_preset"),
                                ("' nbox' (leading space)", "unknown-name", " nbox", "get_any_preset"),
                                ("1000-character name", "huge", "n" * 1000, "get_any_preset")):
        add(Case("preset lookup", cat, f"{fn}({what})", "preset", call=_preset_call(fn, name)))
    add(Case("preset lookup", "unknown-name", "demo preset of another family (mtj-sot)", "preset",
             argv=("demo", "--preset", "mtj-sot", "--no-build", "--out", f"{T}/demo"), outputs=("demo",)))

    # --- host-link frames (models/hostlink.py decode_request: what the device answers)
    cases += hostlink_cases()
    return cases


def _gset_call(name):
    def call(tmp):
        from neuroxide.models.gset import load_graph
        return load_graph(str(Path(tmp) / name))
    return call


def _gset_name_call(name):
    def call(tmp):
        from neuroxide.models.gset import load_graph
        return load_graph(name)
    return call


def _preset_call(fn, name):
    def call(tmp):
        from neuroxide.models.devices import presets, zoo
        return getattr(presets if fn == "get_preset" else zoo, fn)(name)
    return call


def hostlink_cases():
    """Malformed request frames: the decoder names what is wrong and the status the device answers."""
    from neuroxide.models import hostlink as hl
    good_read = hl.read_request(0x10, 2)
    good_write = hl.write_request(0x10, [1, 2])
    bad_crc = good_write[:-1] + bytes([good_write[-1] ^ 1])
    frames = [
        ("empty", "empty frame (0 bytes)", b"", None, "5 bytes"),
        ("malformed", "binary garbage without the sync byte", bytes(range(1, 64)), None, "0xa5"),
        ("malformed", "truncated read (last byte missing)", good_read[:-1], None, "LEN"),
        ("malformed", "trailing byte after a read", good_read + b"\x00", None, "LEN"),
        ("malformed", "flipped CRC bit", bad_crc, "BAD_CRC", "CRC"),
        ("unknown-name", "unknown command 0x7f", hl.encode_request(0x7F, b""), "UNKNOWN_COMMAND", "command"),
        ("huge", "LEN 200 > MAX_PAYLOAD", hl.encode_request(hl.Command.WRITE, bytes(200)), "BAD_LENGTH", "MAX_PAYLOAD"),
        ("malformed", "PING with a payload", hl.encode_request(hl.Command.PING, b"\x01"), "BAD_LENGTH", "PING"),
        ("malformed", "write of 3+4N+1 bytes", hl.encode_request(hl.Command.WRITE, bytes(8)), "BAD_LENGTH", "LEN 3+4N"),
        ("empty", "write with an address and no word", hl.encode_request(hl.Command.WRITE, bytes(3)), "BAD_LENGTH",
         "LEN 3+4N"),
        ("out-of-range", "read of N=0 words", hl.encode_request(hl.Command.READ, bytes([0, 0, 1, 0])), "BAD_LENGTH",
         "N in 1..32"),
        ("out-of-range", "read of N=33 words", hl.encode_request(hl.Command.READ, bytes([0, 0, 1, 33])), "BAD_LENGTH",
         "N in 1..32"),
        ("malformed", "read with LEN 5", hl.encode_request(hl.Command.READ, bytes([0, 0, 1, 1, 0])), "BAD_LENGTH",
         "LEN 4"),
        ("huge", "64 KiB of 0xa5 (LEN byte 0xa5 = 165)", b"\xa5" * 65536, "BAD_LENGTH", "MAX_PAYLOAD"),
    ]
    out = []
    for cat, what, frame, status, fld in frames:
        def call(tmp, frame=frame):
            return hl.decode_request(frame)
        out.append(Case("host-link frame", cat, what, fld, call=call, expect="ProtocolError", status=status))
    return out
