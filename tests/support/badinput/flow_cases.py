"""Bad input to the flow's subcommands: the top level, ``list``, ``boards``, ``verilog``,
``simulate``, ``build``, ``demo`` and ``device``."""

from .case import TMP, cli_case, subcommand

__all__ = ["flow_cases"]


def flow_cases():
    """One case per kind of bad input to each flow subcommand (validation before any file or build)."""
    cases = []
    add = cases.append
    T = TMP

    # --- top level, list, boards
    add(cli_case("neuroxide", "empty", "no command", "COMMAND"))
    add(cli_case("neuroxide", "unknown-name", "unknown command 'nosuchcmd'", "COMMAND", "nosuchcmd"))
    add(cli_case("neuroxide", "unknown-name", "unknown option --bogus", "--bogus", "--bogus", "list"))
    add(cli_case("list", "unknown-name", "unknown option --bogus", "--bogus", "list", "--bogus"))
    add(cli_case("boards", "malformed", "stray argument", "extra", "boards", "extra"))

    # --- verilog
    add(cli_case("verilog", "empty", "no design", "design", "verilog"))
    add(cli_case("verilog", "unknown-name", "unknown design 'nope'", "design", "verilog", "nope", "-o", f"{T}/out.v",
                 outputs=("out.v",)))
    add(cli_case("verilog", "empty", "empty design name", "design", "verilog", "", "-o", f"{T}/out.v",
                 outputs=("out.v",)))
    add(cli_case("verilog", "malformed", "-p without '='", "-p", "verilog", "lif", "-p", "n8", "-o", f"{T}/out.v",
                 outputs=("out.v",)))
    add(cli_case("verilog", "malformed", "-p with an empty name '=3'", "-p", "verilog", "lif", "-p", "=3", "-o",
                 f"{T}/out.v", outputs=("out.v",)))
    add(cli_case("verilog", "empty", "-p with nothing ''", "-p", "verilog", "lif", "-p", "", "-o", f"{T}/out.v",
                 outputs=("out.v",)))
    add(cli_case("verilog", "huge", "-p v_th= a 100,000-digit number", "v_th", "verilog", "lif", "-p",
                 "v_th=" + "7" * 100_000, "-o", f"{T}/out.v", outputs=("out.v",)))
    add(cli_case("verilog", "huge", "-p n=10^5000 (5000 digits)", "n", "verilog", "lif", "-p", "n=1" + "0" * 5000,
                 "-o", f"{T}/out.v", outputs=("out.v",)))
    add(cli_case("verilog", "missing-file", "-o into a folder that is a file", "-o", "verilog", "lif", "-o",
                 f"{T}/afile/out.v", files=(("afile", b"x"),)))
    add(cli_case("verilog", "missing-file", "-o naming an existing folder", "-o", "verilog", "lif", "-o", f"{T}/adir",
                 files=(("adir/keep", b""),)))
    add(cli_case("verilog", "out-of-range", "bad -p and -o: nothing written", "n", "verilog", "lif", "-p", "n=0",
                 "-o", f"{T}/out.v", "--json", outputs=("out.v",), subprocess=True))
    add(cli_case("verilog", "missing-file", "-p graph= a missing file (onn-core)", "graph", "verilog", "onn-core",
                 "-p", f"graph={T}/missing.txt", "-o", f"{T}/out.v", outputs=("out.v",)))
    add(cli_case("verilog", "malformed", "-p graph= binary garbage (onn-core)", "graph", "verilog", "onn-core",
                 "-p", f"graph={T}/g.bin", "-o", f"{T}/out.v", files=(("g.bin", bytes(range(256)) * 4),),
                 outputs=("out.v",)))
    add(cli_case("verilog", "huge", "-p graph= a weight beyond int64 (onn-core)", "edge.w", "verilog", "onn-core",
                 "-p", f"graph={T}/g.txt", "-o", f"{T}/out.v", files=(("g.txt",
                                                                       b"3 1\n1 2 99999999999999999999999\n"),),
                 outputs=("out.v",)))

    # --- simulate (validation must happen before any Verilog or simulator build)
    add(cli_case("simulate", "out-of-range", "--steps 0", "steps", "simulate", "lif", "--steps", "0"))
    add(cli_case("simulate", "huge", "--steps 10^11", "steps", "simulate", "lif", "--steps", "100000000000"))
    add(cli_case("simulate", "malformed", "--steps abc", "--steps", "simulate", "lif", "--steps", "abc"))
    add(cli_case("simulate", "malformed", "--steps 1.5", "--steps", "simulate", "lif", "--steps", "1.5"))
    add(cli_case("simulate", "unknown-name", "--simulator modelsim", "--simulator", "simulate", "lif", "--simulator",
                 "modelsim"))
    add(cli_case("simulate", "out-of-range", "--seed -1", "seed", "simulate", "lif", "--seed", "-1"))
    add(cli_case("simulate", "huge", "--seed 2^40", "seed", "simulate", "lif", "--seed", str(1 << 40)))
    add(cli_case("simulate", "malformed", "--vcd with the wrong suffix", "--vcd", "simulate", "lif", "--simulator",
                 "icarus", "--vcd", f"{T}/w.txt", "--steps", "10", outputs=("w.txt",)))
    add(cli_case("simulate", "missing-file", "--vcd into a folder that is a file", "--vcd", "simulate", "lif",
                 "--simulator", "icarus", "--vcd", f"{T}/afile/w.fst", "--steps", "10", files=(("afile", b"x"),)))
    add(cli_case("simulate", "missing-file", "--build-dir is a file", "--build-dir", "simulate", "lif", "--steps", "10",
                 "--build-dir", f"{T}/afile", files=(("afile", b"x"),)))
    add(cli_case("simulate", "unknown-name", "unknown design", "design", "simulate", "nope", "--steps", "10"))
    add(cli_case("simulate", "out-of-range", "-p n=65", "n", "simulate", "lif", "-p", "n=65", "--steps", "10"))

    # --- build
    add(cli_case("build", "empty", "no --board", "--board", "build", "lif"))
    add(cli_case("build", "unknown-name", "--board nope", "board", "build", "lif", "--board", "nope", "--report",
                 f"{T}/r.json", outputs=("r.json",)))
    add(cli_case("build", "out-of-range", "-p n=999 with --report", "n", "build", "lif", "--board", "icebreaker", "-p",
                 "n=999", "--report", f"{T}/r.json", outputs=("r.json",)))
    add(cli_case("build", "missing-file", "--report into a folder that is a file", "--report", "build", "lif",
                 "--board", "icebreaker", "--report", f"{T}/afile/r.json", files=(("afile", b"x"),)))
    add(cli_case("build", "missing-file", "--build-dir is a file", "--build-dir", "build", "lif", "--board",
                 "icebreaker", "--build-dir", f"{T}/afile", files=(("afile", b"x"),)))

    # --- demo
    add(cli_case("demo", "unknown-name", "--preset nope", "preset", "demo", "--preset", "nope", "--out", f"{T}/demo",
                 outputs=("demo",)))
    add(cli_case("demo", "empty", "--preset ''", "preset", "demo", "--preset", "", "--out", f"{T}/demo",
                 outputs=("demo",)))
    add(cli_case("demo", "unknown-name", "--board nope", "board", "demo", "--board", "nope", "--out", f"{T}/demo",
                 outputs=("demo",)))
    add(cli_case("demo", "out-of-range", "-p c_farad=-1", "c_farad", "demo", "-p", "c_farad=-1", "--out", f"{T}/demo",
                 outputs=("demo",)))
    add(cli_case("demo", "out-of-range", "-p v_bits=99", "v_bits", "demo", "-p", "v_bits=99", "--out", f"{T}/demo",
                 outputs=("demo",)))
    add(cli_case("demo", "unknown-name", "-p bogus=1", "bogus", "demo", "-p", "bogus=1", "--out", f"{T}/demo",
                 outputs=("demo",)))
    add(cli_case("demo", "missing-file", "--out is a file", "--out", "demo", "--no-build", "--out", f"{T}/afile",
                 files=(("afile", b"x"),)))
    add(cli_case("demo", "unknown-name", "--simulator modelsim", "--simulator", "demo", "--simulator", "modelsim"))

    # --- device
    P = f"{T}/fv.png"
    dev = subcommand("device", "device", outputs=("fv.png",))
    add(dev("unknown-name", "unknown preset", "preset", "nope", "--plot", P))
    add(dev("empty", "empty preset name", "preset", "", "--plot", P))
    add(dev("unknown-name", "upper-case preset NBOX", "preset", "NBOX", "--plot", P))
    add(dev("malformed", "-p c_farad=abc", "c_farad", "nbox", "-p", "c_farad=abc", "--plot", P))
    add(dev("out-of-range", "-p c_farad=-1", "c_farad", "nbox", "-p", "c_farad=-1", "--plot", P))
    add(dev("out-of-range", "-p c_farad=0", "c_farad", "nbox", "-p", "c_farad=0", "--plot", P))
    add(dev("malformed", "-p c_farad=nan", "c_farad", "nbox", "-p", "c_farad=nan", "--plot", P))
    add(dev("huge", "-p c_farad=inf", "c_farad", "nbox", "-p", "c_farad=inf", "--plot", P))
    add(dev("empty", "-p c_farad= (empty)", "c_farad", "nbox", "-p", "c_farad=", "--plot", P))
    add(dev("out-of-range", "-p v_hold_volt above v_th_volt", "v_hold_volt", "nbox", "-p", "v_hold_volt=5",
            "--plot", P))
    add(dev("out-of-range", "-p r_load_ohm=1e-300", "r_load_ohm", "nbox", "-p", "r_load_ohm=1e-300", "--plot", P))
    add(dev("malformed", "-p v_bits=1.5", "v_bits", "nbox", "-p", "v_bits=1.5", "--plot", P))
    add(dev("out-of-range", "-p v_bits=-3", "v_bits", "nbox", "-p", "v_bits=-3", "--plot", P))
    add(dev("huge", "-p v_bits=1000", "v_bits", "nbox", "-p", "v_bits=1000", "--plot", P))
    add(dev("unknown-name", "-p foo=1", "foo", "nbox", "-p", "foo=1", "--plot", P))
    add(dev("unknown-name", "-p v_bits on a dendrite preset", "v_bits", "dendrite-li2020", "-p", "v_bits=12",
            "--plot", P))
    add(dev("malformed", "-p tau0_s=abc (fefet)", "tau0_s", "fefet-sihfo2", "-p", "tau0_s=abc", "--plot", P))
    add(dev("malformed", "-p sigma_rel=nan (stochastic)", "sigma_rel", "nbox-stochastic", "-p", "sigma_rel=nan",
            "--plot", P))
    add(dev("out-of-range", "-p i_dep_amp=-1 (mtj)", "i_dep_amp", "mtj-sot", "-p", "i_dep_amp=-1", "--plot", P))
    add(dev("malformed", "-p without '='", "-p", "nbox", "-p", "c_farad", "--plot", P))
    add(dev("malformed", "--sweep 1:2 (two fields)", "--sweep", "nbox", "--sweep", "1:2", "--plot", P))
    add(dev("malformed", "--sweep a:b:c", "--sweep", "nbox", "--sweep", "a:b:c", "--plot", P))
    add(dev("malformed", "--sweep 1:2:3:4 (four fields)", "--sweep", "nbox", "--sweep", "1:2:3:4", "--plot", P))
    add(dev("empty", "--sweep ''", "--sweep", "nbox", "--sweep", "", "--plot", P))
    add(dev("out-of-range", "--sweep 2:1:5 (V1 < V0)", "--sweep", "nbox", "--sweep", "2:1:5", "--plot", P))
    add(dev("out-of-range", "--sweep -1:2:5 (negative drive)", "--sweep", "nbox", "--sweep", "-1:2:5", "--plot", P))
    add(dev("huge", "--sweep 1:2:10^6 points", "--sweep", "nbox", "--sweep", "1:2:1000000", "--plot", P))
    add(dev("huge", "--sweep 1:inf:5", "--sweep", "nbox", "--sweep", "1:inf:5", "--plot", P))
    add(dev("malformed", "--sweep nan:2:5", "--sweep", "nbox", "--sweep", "nan:2:5", "--plot", P))
    add(dev("out-of-range", "--dt -1", "dt", "nbox", "--dt", "-1", "--plot", P))
    add(dev("out-of-range", "--dt 0", "dt", "nbox", "--dt", "0", "--plot", P))
    add(dev("malformed", "--dt nan", "dt", "nbox", "--dt", "nan", "--plot", P))
    add(dev("huge", "--dt inf", "dt", "nbox", "--dt", "inf", "--plot", P))
    add(dev("malformed", "--dt abc", "--dt", "nbox", "--dt", "abc", "--plot", P))
    add(dev("unknown-name", "--dt on a fefet preset", "--dt", "fefet-sihfo2", "--dt", "1e-9", "--plot", P))
    add(dev("malformed", "--plot x.jpg", "--plot", "nbox", "--plot", f"{T}/fv.jpg"))
    add(dev("missing-file", "--plot naming an existing folder", "--plot", "nbox", "--plot", f"{T}/adir.png",
            files=(("adir.png/keep", b""),)))
    add(dev("missing-file", "--plot into a folder that is a file", "--plot", "nbox", "--plot", f"{T}/afile/fv.png",
            files=(("afile", b"x"),)))
    return cases
