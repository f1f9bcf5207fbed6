"""Bad input to the second-generation ONN core: lane counts and graph weights outside the
configured coupling width (``neuroxide verilog onn-core``, ``neuroxide maxcut``; refused before any
file is written)."""

from .case import TMP, subcommand

__all__ = ["onn_lanes_cases"]


def onn_lanes_cases():
    """Lanes that are not a power of two / too many; a graph weight outside weight_bits, named by edge."""
    T = TMP
    v = subcommand("verilog onn-core", "verilog", "onn-core", tail=("-o", f"{T}/onn.v"), outputs=("onn.v",))
    mc = subcommand("maxcut", "maxcut")
    b = subcommand("build onn-core", "build", "onn-core", tail=("--board", "ulx3s-85f", "--build-dir", f"{T}/b"),
                   outputs=("b",))
    graph = (("w9.txt", b"3 3\n1 2 1\n2 3 9\n1 3 1\n"),)
    return [
        v("out-of-range", "-p lanes=3 (not a power of two)", "lanes", "-p", "lanes=3"),
        v("out-of-range", "-p lanes=64 (more than 32)", "lanes", "-p", "lanes=64"),
        v("out-of-range", "-p graph=w9.txt -p weight_bits=3 (edge 2 has w = 9)", "edge 2", "-p",
          f"graph={T}/w9.txt", "-p", "weight_bits=3", files=graph),
        mc("out-of-range", "G11 --lanes 3", "--lanes", "G11", "--lanes", "3"),
        mc("unknown-name", "--mode gauss", "--mode", "G11", "--mode", "gauss"),
        mc("unknown-name", "--schedule fast", "--schedule", "G11", "--schedule", "fast"),
        mc("out-of-range", "--mode colour --backend board (the board runs the synchronous core)", "--mode", "G11",
           "--mode", "colour", "--backend", "board", "--port", f"{T}/no-such-port"),
        b("huge", "-p n=1024 -p dense=1 -p lanes=8 (299 DP16KD > 208, refused before synthesis)", "n",
          "-p", "n=1024", "-p", "dense=1", "-p", "lanes=8"),
        v("out-of-range", "-p row_groups=2 in the synchronous mode", "row_groups", "-p", "row_groups=2"),
        v("out-of-range", "-p mode=colour -p row_groups=3 (not a power of two)", "row_groups", "-p", "mode=colour",
          "-p", "row_groups=3"),
        v("out-of-range", "-p mode=colour -p lanes=8 -p row_groups=16 (more groups than lanes)", "row_groups",
          "-p", "mode=colour", "-p", "lanes=8", "-p", "row_groups=16"),
        v("huge", "-p mode=colour -p row_groups=64", "row_groups", "-p", "mode=colour", "-p", "row_groups=64"),
        mc("out-of-range", "G11 --row-groups 2 (synchronous mode)", "--row-groups", "G11", "--row-groups", "2"),
        mc("out-of-range", "G11 --mode colour --row-groups 3", "--row-groups", "G11", "--mode", "colour",
           "--row-groups", "3"),
        b("huge", "-p graph=G22 -p mode=colour -p lanes=32 -p row_groups=8 (320 DP16KD > 208, refused before "
          "synthesis)", "row_groups", "-p", "graph=G22", "-p", "mode=colour", "-p", "lanes=32", "-p", "row_groups=8"),
    ]
