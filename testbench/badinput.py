"""The bad-input catalogue: every subcommand and file reader tried with input it must refuse.

One list of :class:`Case` values (:func:`catalogue`) is the single source of truth for
``tests/test_bad_inputs.py`` and for ``docs/robustness.md``. A case names its target (a
subcommand such as ``verilog``, or a reader such as ``G-set reader``), its category (malformed,
empty, huge, out-of-range, missing-file, unknown-name), the input (``argv`` for the CLI, or a
reader call), the files it needs (written into a fresh temporary folder, which is also the working
folder of the run, so default outputs such as ``build/`` would show up there), and the field the
error message must name.

What a case must show (:func:`run_case`), the CLI contract for bad input:

* exit code 2 (a reader raises :class:`~neuroxide.errors.ParameterError`, which the CLI turns
  into exit 2; the host-link frame decoder raises ``ProtocolError`` with the status the device
  answers instead);
* an ``error:`` line on stderr naming the field and what is allowed;
* no traceback;
* nothing written: the temporary folder holds exactly the input files afterwards (no output file,
  no half-written temporary file, no ``build/`` folder).

The ``-p`` cases of every design are generated from its parameter table (:func:`param_cases`):
below and above the range, a non-integer, text, an empty value, and an unknown name. The range is
the one the description states (``lo..hi``) or, where it states none, the one observed by probing
``configure`` outward from the default (:func:`int_bounds`).

Run ``python -m neuroxide.testbench.badinput --doc docs/robustness.md`` to try every case and
write the tables (observed exit codes and messages, not hard-coded ones).
"""

import argparse
import contextlib
import functools
import io
import re
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Case", "Outcome", "CATEGORIES", "catalogue", "hand_cases", "param_cases", "int_bounds",
           "run_case", "run_all", "markdown", "main"]

CATEGORIES = ("malformed", "empty", "huge", "out-of-range", "missing-file", "unknown-name")

# an error line says what is allowed: ParameterError's "allowed: ...", or argparse's own wording
ALLOWED_MARKERS = ("allowed:", "choose from", "invalid int value", "invalid float value", "required",
                   "unrecognized arguments", "expected one argument")


@dataclass(frozen=True)
class Case:
    """One bad input. ``{tmp}`` in ``argv`` is the case's temporary folder (also its working folder).

    ``files``: ``(name, content)`` pairs written before the run; content is bytes, or a callable
    ``f(path)`` that writes the file (huge files). ``outputs``: names in the folder that must not
    exist afterwards (beyond the general "nothing new" check). ``call(tmp)``: a reader call instead
    of ``argv``. ``expect``: ``"exit 2"``, or ``"ProtocolError"`` with ``status`` (a Status name or
    None for "not a frame at all").
    """

    target: str
    category: str
    what: str
    field: str
    argv: tuple = ()
    files: tuple = ()
    outputs: tuple = ()
    call: object = None
    expect: str = "exit 2"
    status: str | None = None
    subprocess: bool = False
    group: str | None = None   # generated -p sweeps: the design (compact table in the docs)
    param: str | None = None   # generated -p sweeps: the parameter

    @property
    def id(self):
        return f"{self.target}: {self.what}"


@dataclass
class Outcome:
    case: Case
    code: object              # exit code, "traceback", or "ProtocolError(STATUS)"
    message: str              # the first error line
    problems: list = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def passed(self):
        return not self.problems


# ------------------------------------------------------------------------------------------------
# files

def _write_repeated(line, count, head=b""):
    def write(path):
        with open(path, "wb") as f:
            f.write(head)
            chunk = line * 65536
            for _ in range(count // 65536):
                f.write(chunk)
            f.write(line * (count % 65536))
    return write


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
        return _write_repeated(b"1 2 1\n", 3_500_000, head=b"1000000000 3500000\n")
    return content


# ------------------------------------------------------------------------------------------------
# hand-written cases

def _c(target, category, what, fld, *argv, **kw):
    return Case(target, category, what, fld, argv=tuple(argv), **kw)


def hand_cases():
    """Every subcommand and reader, one case per kind of bad input (see the module docstring)."""
    cases = []
    add = cases.append
    T = "{tmp}"

    # --- top level, list, boards
    add(_c("neuroxide", "empty", "no command", "COMMAND"))
    add(_c("neuroxide", "unknown-name", "unknown command 'nosuchcmd'", "COMMAND", "nosuchcmd"))
    add(_c("neuroxide", "unknown-name", "unknown option --bogus", "--bogus", "--bogus", "list"))
    add(_c("list", "unknown-name", "unknown option --bogus", "--bogus", "list", "--bogus"))
    add(_c("boards", "malformed", "stray argument", "extra", "boards", "extra"))

    # --- verilog
    add(_c("verilog", "empty", "no design", "design", "verilog"))
    add(_c("verilog", "unknown-name", "unknown design 'nope'", "design", "verilog", "nope", "-o", f"{T}/out.v",
           outputs=("out.v",)))
    add(_c("verilog", "empty", "empty design name", "design", "verilog", "", "-o", f"{T}/out.v", outputs=("out.v",)))
    add(_c("verilog", "malformed", "-p without '='", "-p", "verilog", "lif", "-p", "n8", "-o", f"{T}/out.v",
           outputs=("out.v",)))
    add(_c("verilog", "malformed", "-p with an empty name '=3'", "-p", "verilog", "lif", "-p", "=3", "-o",
           f"{T}/out.v", outputs=("out.v",)))
    add(_c("verilog", "empty", "-p with nothing ''", "-p", "verilog", "lif", "-p", "", "-o", f"{T}/out.v",
           outputs=("out.v",)))
    add(_c("verilog", "huge", "-p v_th= a 100,000-digit number", "v_th", "verilog", "lif", "-p", "v_th=" + "7" * 100_000,
           "-o", f"{T}/out.v", outputs=("out.v",)))
    add(_c("verilog", "huge", "-p n=10^5000 (5000 digits)", "n", "verilog", "lif", "-p", "n=1" + "0" * 5000,
           "-o", f"{T}/out.v", outputs=("out.v",)))
    add(_c("verilog", "missing-file", "-o into a folder that is a file", "-o", "verilog", "lif", "-o",
           f"{T}/afile/out.v", files=(("afile", b"x"),)))
    add(_c("verilog", "missing-file", "-o naming an existing folder", "-o", "verilog", "lif", "-o", f"{T}/adir",
           files=(("adir/keep", b""),)))
    add(_c("verilog", "out-of-range", "bad -p and -o: nothing written", "n", "verilog", "lif", "-p", "n=0",
           "-o", f"{T}/out.v", "--json", outputs=("out.v",), subprocess=True))
    add(_c("verilog", "missing-file", "-p graph= a missing file (onn-core)", "graph", "verilog", "onn-core",
           "-p", f"graph={T}/missing.txt", "-o", f"{T}/out.v", outputs=("out.v",)))
    add(_c("verilog", "malformed", "-p graph= binary garbage (onn-core)", "graph", "verilog", "onn-core",
           "-p", f"graph={T}/g.bin", "-o", f"{T}/out.v", files=(("g.bin", bytes(range(256)) * 4),), outputs=("out.v",)))
    add(_c("verilog", "huge", "-p graph= a weight beyond int64 (onn-core)", "edge.w", "verilog", "onn-core",
           "-p", f"graph={T}/g.txt", "-o", f"{T}/out.v", files=(("g.txt", b"3 1\n1 2 99999999999999999999999\n"),),
           outputs=("out.v",)))

    # --- simulate (validation must happen before any Verilog or simulator build)
    add(_c("simulate", "out-of-range", "--steps 0", "steps", "simulate", "lif", "--steps", "0"))
    add(_c("simulate", "huge", "--steps 10^11", "steps", "simulate", "lif", "--steps", "100000000000"))
    add(_c("simulate", "malformed", "--steps abc", "--steps", "simulate", "lif", "--steps", "abc"))
    add(_c("simulate", "malformed", "--steps 1.5", "--steps", "simulate", "lif", "--steps", "1.5"))
    add(_c("simulate", "unknown-name", "--simulator modelsim", "--simulator", "simulate", "lif", "--simulator",
           "modelsim"))
    add(_c("simulate", "out-of-range", "--seed -1", "seed", "simulate", "lif", "--seed", "-1"))
    add(_c("simulate", "huge", "--seed 2^40", "seed", "simulate", "lif", "--seed", str(1 << 40)))
    add(_c("simulate", "malformed", "--vcd with the wrong suffix", "--vcd", "simulate", "lif", "--simulator", "icarus",
           "--vcd", f"{T}/w.txt", "--steps", "10", outputs=("w.txt",)))
    add(_c("simulate", "missing-file", "--vcd into a folder that is a file", "--vcd", "simulate", "lif",
           "--simulator", "icarus", "--vcd", f"{T}/afile/w.fst", "--steps", "10", files=(("afile", b"x"),)))
    add(_c("simulate", "missing-file", "--build-dir is a file", "--build-dir", "simulate", "lif", "--steps", "10",
           "--build-dir", f"{T}/afile", files=(("afile", b"x"),)))
    add(_c("simulate", "unknown-name", "unknown design", "design", "simulate", "nope", "--steps", "10"))
    add(_c("simulate", "out-of-range", "-p n=65", "n", "simulate", "lif", "-p", "n=65", "--steps", "10"))

    # --- build
    add(_c("build", "empty", "no --board", "--board", "build", "lif"))
    add(_c("build", "unknown-name", "--board nope", "board", "build", "lif", "--board", "nope", "--report",
           f"{T}/r.json", outputs=("r.json",)))
    add(_c("build", "out-of-range", "-p n=999 with --report", "n", "build", "lif", "--board", "icebreaker", "-p",
           "n=999", "--report", f"{T}/r.json", outputs=("r.json",)))
    add(_c("build", "missing-file", "--report into a folder that is a file", "--report", "build", "lif", "--board",
           "icebreaker", "--report", f"{T}/afile/r.json", files=(("afile", b"x"),)))
    add(_c("build", "missing-file", "--build-dir is a file", "--build-dir", "build", "lif", "--board", "icebreaker",
           "--build-dir", f"{T}/afile", files=(("afile", b"x"),)))

    # --- demo
    add(_c("demo", "unknown-name", "--preset nope", "preset", "demo", "--preset", "nope", "--out", f"{T}/demo",
           outputs=("demo",)))
    add(_c("demo", "empty", "--preset ''", "preset", "demo", "--preset", "", "--out", f"{T}/demo", outputs=("demo",)))
    add(_c("demo", "unknown-name", "--board nope", "board", "demo", "--board", "nope", "--out", f"{T}/demo",
           outputs=("demo",)))
    add(_c("demo", "out-of-range", "-p c_farad=-1", "c_farad", "demo", "-p", "c_farad=-1", "--out", f"{T}/demo",
           outputs=("demo",)))
    add(_c("demo", "out-of-range", "-p v_bits=99", "v_bits", "demo", "-p", "v_bits=99", "--out", f"{T}/demo",
           outputs=("demo",)))
    add(_c("demo", "unknown-name", "-p bogus=1", "bogus", "demo", "-p", "bogus=1", "--out", f"{T}/demo",
           outputs=("demo",)))
    add(_c("demo", "missing-file", "--out is a file", "--out", "demo", "--no-build", "--out", f"{T}/afile",
           files=(("afile", b"x"),)))
    add(_c("demo", "unknown-name", "--simulator modelsim", "--simulator", "demo", "--simulator", "modelsim"))

    # --- device
    P = f"{T}/fv.png"
    dev = lambda cat, what, fld, *a, **kw: _c("device", cat, what, fld, "device", *a, outputs=("fv.png",), **kw)  # noqa: E731
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

    # --- digits
    dg = lambda cat, what, fld, *a, **kw: _c("digits", cat, what, fld, "digits", *a, "--plot", f"{T}/d.png",  # noqa: E731
                                              outputs=("d.png",), **kw)
    add(dg("out-of-range", "--weight-bits 0", "--weight-bits", "--weight-bits", "0"))
    add(dg("out-of-range", "--weight-bits 9", "--weight-bits", "--weight-bits", "9"))
    add(dg("malformed", "--weight-bits abc", "--weight-bits", "--weight-bits", "abc"))
    add(dg("malformed", "--d2d-sigma nan", "--d2d-sigma", "--d2d-sigma", "nan"))
    add(dg("huge", "--d2d-sigma inf", "--d2d-sigma", "--d2d-sigma", "inf"))
    add(dg("out-of-range", "--stuck-at -0.1", "--stuck-at", "--stuck-at", "-0.1"))
    add(dg("out-of-range", "--stuck-at 1.5", "--stuck-at", "--stuck-at", "1.5"))
    add(dg("out-of-range", "--write-sigma 2", "--write-sigma", "--write-sigma", "2"))
    add(dg("out-of-range", "--limit 0", "--limit", "--limit", "0"))
    add(dg("huge", "--limit 10^6", "--limit", "--limit", "1000000"))
    add(dg("out-of-range", "--seed -1", "--seed", "--seed", "-1"))
    add(dg("huge", "--seed 2^40", "--seed", "--seed", str(1 << 40)))
    add(dg("out-of-range", "--steps 0", "--steps", "--steps", "0"))
    add(dg("huge", "--steps 10^9", "--steps", "--steps", "1000000000"))
    add(dg("unknown-name", "--backend gpu", "--backend", "--backend", "gpu"))
    add(dg("unknown-name", "--encoding poisson", "--encoding", "--encoding", "poisson"))
    add(dg("unknown-name", "--readout max", "--readout", "--readout", "max"))
    add(_c("digits", "malformed", "--plot d.pdf", "--plot", "digits", "--plot", f"{T}/d.pdf", outputs=("d.pdf",)))
    add(_c("digits", "missing-file", "--plot naming an existing folder", "--plot", "digits", "--limit", "1",
           "--backend", "float", "--plot", f"{T}/adir.png", files=(("adir.png/keep", b""),)))
    add(_c("digits", "missing-file", "--build-dir is a file", "--build-dir", "digits", "--limit", "1",
           "--build-dir", f"{T}/afile", files=(("afile", b"x"),)))

    # --- hh
    hh = lambda cat, what, fld, *a, **kw: _c("hh", cat, what, fld, "hh", *a, "--plot", f"{T}/h.png",  # noqa: E731
                                              outputs=("h.png",), **kw)
    add(hh("unknown-name", "--stimulus nope", "--stimulus", "--stimulus", "nope"))
    add(hh("empty", "--stimulus ''", "--stimulus", "--stimulus", ""))
    add(hh("malformed", "--stimulus ','", "--stimulus", "--stimulus", ","))
    add(hh("unknown-name", "--stimulus rest,nope", "--stimulus", "--stimulus", "rest,nope"))
    add(hh("out-of-range", "--steps 5", "--steps", "--steps", "5"))
    add(hh("huge", "--steps 10^9", "--steps", "--steps", "1000000000"))
    add(hh("malformed", "--steps 1e3", "--steps", "--steps", "1e3"))
    add(hh("unknown-name", "--backend gpu", "--backend", "--backend", "gpu"))
    add(hh("unknown-name", "--simulator modelsim", "simulator", "--backend", "rtl", "--simulator", "modelsim"))
    add(_c("hh", "malformed", "--plot h.svg", "--plot", "hh", "--plot", f"{T}/h.svg", outputs=("h.svg",)))
    add(_c("hh", "missing-file", "--plot naming an existing folder", "--plot", "hh", "--stimulus", "rest", "--steps",
           "10", "--plot", f"{T}/adir.png", files=(("adir.png/keep", b""),)))
    add(_c("hh", "missing-file", "--build-dir is a file", "--build-dir", "hh", "--backend", "rtl", "--stimulus",
           "rest", "--steps", "10", "--build-dir", f"{T}/afile", files=(("afile", b"x"),)))

    # --- hopfield
    hf = lambda cat, what, fld, *a, **kw: _c("hopfield", cat, what, fld, "hopfield", *a, "--plot",  # noqa: E731
                                              f"{T}/h.png", outputs=("h.png",), **kw)
    add(hf("out-of-range", "--n 4", "--n", "--n", "4"))
    add(hf("huge", "--n 10^6", "--n", "--n", "1000000"))
    add(hf("malformed", "--n 8.5", "--n", "--n", "8.5"))
    add(hf("out-of-range", "--patterns 0", "--patterns", "--patterns", "0"))
    add(hf("out-of-range", "--patterns above --n", "--patterns", "--n", "16", "--patterns", "17"))
    add(hf("malformed", "--noise nan", "--noise", "--noise", "nan"))
    add(hf("huge", "--noise inf", "--noise", "--noise", "inf"))
    add(hf("out-of-range", "--noise -0.1", "--noise", "--noise", "-0.1"))
    add(hf("out-of-range", "--noise 0.6", "--noise", "--noise", "0.6"))
    add(hf("out-of-range", "--steps 0", "--steps", "--steps", "0"))
    add(hf("huge", "--steps 10^9", "--steps", "--steps", "1000000000"))
    add(hf("out-of-range", "--seed -1", "--seed", "--seed", "-1"))
    add(hf("unknown-name", "--rule oja", "--rule", "--rule", "oja"))
    add(hf("unknown-name", "--backend gpu", "--backend", "--backend", "gpu"))
    add(hf("out-of-range", "--backend rtl --n 500", "--n", "--backend", "rtl", "--n", "500"))
    add(_c("hopfield", "malformed", "--plot h.jpg", "--plot", "hopfield", "--plot", f"{T}/h.jpg", outputs=("h.jpg",)))
    add(_c("hopfield", "missing-file", "--plot naming an existing folder", "--plot", "hopfield", "--n", "8",
           "--patterns", "1", "--noise", "0", "--steps", "2", "--plot", f"{T}/adir.png", files=(("adir.png/keep", b""),)))

    # --- izhikevich
    iz = lambda cat, what, fld, *a, **kw: _c("izhikevich", cat, what, fld, "izhikevich", *a, "--plot",  # noqa: E731
                                              f"{T}/i.png", outputs=("i.png",), **kw)
    add(iz("unknown-name", "--panel Z", "panel", "--panel", "Z"))
    add(iz("empty", "--panel ''", "panel", "--panel", ""))
    add(iz("malformed", "--panel ','", "panel", "--panel", ","))
    add(iz("malformed", "--panel AB (two letters)", "panel", "--panel", "AB"))
    add(iz("unknown-name", "--backend gpu", "--backend", "--backend", "gpu"))
    add(iz("unknown-name", "--simulator modelsim", "simulator", "--backend", "rtl", "--simulator", "modelsim"))
    add(_c("izhikevich", "malformed", "--plot without .png", "--plot", "izhikevich", "--plot", f"{T}/i",
           outputs=("i",)))
    add(_c("izhikevich", "missing-file", "--plot naming an existing folder", "--plot", "izhikevich", "--panel", "A",
           "--backend", "float", "--plot", f"{T}/adir.png", files=(("adir.png/keep", b""),)))
    add(_c("izhikevich", "missing-file", "--build-dir is a file", "--build-dir", "izhikevich", "--backend", "rtl",
           "--panel", "A", "--build-dir", f"{T}/afile", files=(("afile", b"x"),)))

    # --- link (validated before the port is opened: a missing port only matters once the rest is valid)
    lk = lambda cat, what, fld, *a, **kw: _c("link", cat, what, fld, "link", "--port", f"{T}/noport", *a, **kw)  # noqa: E731
    add(lk("missing-file", "--port that does not exist", "port", "ping"))
    add(_c("link", "malformed", "--port is a plain file", "port", "link", "--port", f"{T}/afile", "ping",
           files=(("afile", b"x"),)))
    add(_c("link", "empty", "no --port", "--port", "link", "ping"))
    add(lk("unknown-name", "action 'erase'", "action", "erase"))
    add(lk("malformed", "ping with a value", "values", "ping", "1"))
    add(lk("empty", "read without ADDR", "ADDR", "read"))
    add(lk("malformed", "read ADDR 'zz'", "ADDR", "read", "zz"))
    add(lk("out-of-range", "read ADDR -1", "ADDR", "read", "-1"))
    add(lk("huge", "read ADDR 0x1000000 (25 bits)", "ADDR", "read", "0x1000000"))
    add(lk("out-of-range", "read COUNT 0", "COUNT", "read", "0", "0"))
    add(lk("huge", "read COUNT 70000", "COUNT", "read", "0", "70000"))
    add(lk("malformed", "read with three values", "values", "read", "0", "1", "2"))
    add(lk("empty", "write without WORD", "WORD", "write", "0"))
    add(lk("huge", "write WORD 2^32", "WORD", "write", "0", "0x100000000"))
    add(lk("out-of-range", "write WORD -1", "WORD", "write", "0", "-1"))
    add(lk("malformed", "write WORD 1.5", "WORD", "write", "0", "1.5"))
    add(lk("out-of-range", "--baud 10", "--baud", "--baud", "10", "ping"))
    add(lk("huge", "--baud 10^9", "--baud", "--baud", "1000000000", "ping"))
    add(lk("malformed", "--baud fast", "--baud", "--baud", "fast", "ping"))
    add(lk("out-of-range", "--timeout -1", "--timeout", "--timeout", "-1", "ping"))
    add(lk("out-of-range", "--timeout 0", "--timeout", "--timeout", "0", "ping"))
    add(lk("malformed", "--timeout nan", "--timeout", "--timeout", "nan", "ping"))
    add(lk("huge", "--timeout inf", "--timeout", "--timeout", "inf", "ping"))

    # --- maxcut: CLI options, and the G-set reader behind it
    mc = lambda cat, what, fld, *a, **kw: _c("maxcut", cat, what, fld, "maxcut", *a, **kw)  # noqa: E731
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
    add(_c("verilog", "huge", "-p graph= weight 2^31-1 (onn-core)", "graph", "verilog", "onn-core", "-p",
           f"graph={T}/w.txt", "-o", f"{T}/out.v", files=(("w.txt", b"3 1\n1 2 2147483647\n"),), outputs=("out.v",)))
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
                                ("'fefet-sihfo2' is not a threshold switch", "unknown-name", "fefet-sihfo2", "get_preset"),
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

    # --- host-link frames (boards/hostlink.py decode_request: what the device answers)
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
    from neuroxide.boards import hostlink as hl
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


# ------------------------------------------------------------------------------------------------
# generated: every parameter of every design

_RANGE = re.compile(r"(-?\d+)\.\.(-?\d+)\s*$")
PROBE_LIMIT = 1 << 70   # beyond any field: a parameter accepted this far out is unbounded (a finding)


def _accepts(design, name, value):
    from neuroxide.designs import configure
    from neuroxide.errors import ParameterError
    try:
        configure(design, {name: value})
        return True
    except ParameterError:
        return False
    except Exception:  # noqa: BLE001 - a crash is not acceptance; the case built here will show it
        return False


def _edge(design, name, start, direction):
    """The last accepted value going ``direction`` (+1/-1) from accepted ``start`` (doubling, then bisection)."""
    step = 1
    while step < PROBE_LIMIT and _accepts(design, name, start + direction * step):
        step *= 2
    if step >= PROBE_LIMIT:
        return None
    good, bad = start + direction * (step // 2) if step > 1 else start, start + direction * step
    while abs(bad - good) > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if _accepts(design, name, mid) else (good, mid)
    return good


@functools.lru_cache(maxsize=None)
def int_bounds(design, name, default, doc):
    """``(lo, hi, source)`` of an integer parameter: the stated ``lo..hi`` of its description, else
    probed with :func:`configure` from the default (``source`` "stated" or "probed"); None for an
    unbounded side."""
    m = _RANGE.search(doc or "")
    if m:
        return int(m.group(1)), int(m.group(2)), "stated"
    start = default if isinstance(default, int) else 0
    if not _accepts(design, name, start):
        return None, None, "probed"
    return _edge(design, name, start, -1), _edge(design, name, start, +1), "probed"


def param_cases(designs=None):
    """The ``neuroxide verilog DESIGN -p NAME=VALUE`` cases of every parameter of every design."""
    from neuroxide.designs import DESIGNS, parameter_table
    cases = []
    T = "{tmp}"
    for design in designs or DESIGNS:
        rows = parameter_table(design)

        def case(cat, what, fld, item, param):
            return Case("verilog -p", cat, f"{design} -p {what}", fld,
                        argv=("verilog", design, "-p", item, "-o", f"{T}/out.v"), outputs=("out.v",),
                        group=design, param=param)

        for name, default, doc in rows:
            if name == "graph":
                cases.append(case("missing-file", "graph=<missing file>", "graph", f"graph={T}/missing.txt", name))
                cases.append(case("empty", "graph=<empty file>", "graph", f"graph={T}/e.txt", name))
                cases[-1] = Case(**{**cases[-1].__dict__, "files": (("e.txt", b""),)})
                continue
            if isinstance(default, str):
                cases.append(case("unknown-name", f"{name}=bogus", name, f"{name}=bogus", name))
                cases.append(case("malformed", f"{name}=7 (a number)", name, f"{name}=7", name))
                continue
            if isinstance(default, bool) or not (isinstance(default, int) or default is None):
                continue
            lo, hi, _ = int_bounds(design, name, default, doc)
            cases.append(case("out-of-range", f"{name}={'-2^70' if lo is None else lo - 1} (below)", name,
                              f"{name}={-PROBE_LIMIT if lo is None else lo - 1}", name))
            cases.append(case("out-of-range", f"{name}={'2^70' if hi is None else hi + 1} (above)", name,
                              f"{name}={PROBE_LIMIT if hi is None else hi + 1}", name))
            cases.append(case("malformed", f"{name}=1.5 (not an integer)", name, f"{name}=1.5", name))
            cases.append(case("malformed", f"{name}=abc (text)", name, f"{name}=abc", name))
            if not _accepts(design, name, None):  # None is a legal value of some (v_min: the most negative)
                cases.append(case("empty", f"{name}= (empty)", name, f"{name}=", name))
        ints = [n for n, d, _ in rows if isinstance(d, int) and not isinstance(d, bool)]
        if ints:
            cases.append(case("malformed", f"{ints[0]}=nan", ints[0], f"{ints[0]}=nan", ints[0]))
            cases.append(case("huge", f"{ints[-1]}=inf", ints[-1], f"{ints[-1]}=inf", ints[-1]))
            cases.append(case("huge", f"{ints[0]}=10^30", ints[0], f"{ints[0]}=1{'0' * 30}", ints[0]))
        cases.append(case("unknown-name", "no_such_param=1 (unknown name)", "no_such_param", "no_such_param=1",
                          "(unknown)"))
        cases.append(case("unknown-name", "V_TH=1 (wrong case)", "V_TH", "V_TH=1", "(unknown)"))
    return cases


DEVICE_VALUES = (("nan", "malformed"), ("abc", "malformed"), ("", "empty"), ("-1", "out-of-range"),
                 ("1e300", "huge"), ("1e-300", "huge"))

# Cases that fail for a reason in a file this catalogue's owner may not edit: shown as failing in the
# docs, expected to fail in the tests (xfail, not strict: a fix by the owner shows as XPASS; then delete the entry).
KNOWN = {
}


def device_cases(presets=None):
    """``neuroxide device PRESET -p FIELD=VALUE`` for every numeric field of every preset (SI floats)."""
    import dataclasses

    from neuroxide.models.devices.zoo import ALL_PRESETS
    cases = []
    for preset in presets or ALL_PRESETS:
        p = ALL_PRESETS[preset]
        for f in dataclasses.fields(p):
            value = getattr(p, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            for text, cat in DEVICE_VALUES:
                cases.append(Case("device -p", cat, f"{preset} -p {f.name}={text}", f.name,
                                  argv=("device", preset, "-p", f"{f.name}={text}", "--sweep", "1:2:3", "--plot",
                                        "{tmp}/d.png"), outputs=("d.png",), group=preset, param=f.name))
    cases.append(Case("device -p", "out-of-range", "afefet-hzo -p tau_relax_s=1e-12 (leak underflows)",
                      "tau_relax_s", argv=("device", "afefet-hzo", "-p", "tau_relax_s=1e-12", "--plot", "{tmp}/d.png"),
                      outputs=("d.png",), group="afefet-hzo", param="tau_relax_s"))
    return cases


def _nir_graph(kind):
    """A small NIR graph (Input 6 -> Affine -> LIF 4 -> Output) written by ``nir.write``, or a broken one."""
    def write(path):
        import nir
        import numpy as np
        rng = np.random.default_rng(0)
        n_in, n, w = 6, 4, rng.normal(0, 0.5, (4, 6))
        tau = np.full(n, -1.0 if kind == "negtau" else 0.01)
        if kind == "nanw":
            w = np.full((n, n_in), np.nan)
        neuron = nir.LIF(tau=tau, r=np.full(n, 10.0), v_leak=np.zeros(n), v_threshold=np.ones(n), v_reset=np.zeros(n))
        nodes = {"input": nir.Input(np.array([n_in])), "fc": nir.Affine(w, np.zeros(n)), "n": neuron,
                 "output": nir.Output(np.array([n]))}
        edges = [("input", "fc"), ("fc", "n"), ("n", "output")]
        if kind == "delay":
            nodes["d"] = nir.Delay(np.ones(n))
            edges = [("input", "fc"), ("fc", "d"), ("d", "n"), ("n", "output")]
        g = nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": 1e-3}, type_check=False)
        nir.write(str(path), g)
        if kind == "truncated":
            data = Path(path).read_bytes()
            Path(path).write_bytes(data[:len(data) // 2])
        if kind == "hdf5":
            import h5py
            Path(path).unlink()
            with h5py.File(path, "w") as f:
                f["x"] = np.arange(5)
    return write


def _npy(kind):
    def write(path):
        import numpy as np
        rng = np.random.default_rng(1)
        arr = {"shape": rng.random((10, 7)) < 0.3, "two": np.full((10, 6), 2), "nan": np.full((10, 6), np.nan),
               "obj": np.array([{"a": 1}], dtype=object)}[kind]
        with open(path, "wb") as f:
            np.save(f, arr, allow_pickle=kind == "obj")
    return write


def _core_config(mutate):
    """A core configuration JSON (``models.snn.network_to_dict`` of a 3-2-2 network) after ``mutate(d)``."""
    def write(path):
        import json

        from neuroxide.designs import configure
        from neuroxide.designs.snn_core import make_network
        from neuroxide.models.snn import network_to_dict
        d = network_to_dict(make_network(configure("snn-core", {"n_in": 3, "n_hidden": 2, "n_out": 2})))
        mutate(d)
        Path(path).write_text(json.dumps(d))
    return write


def _set(*keys_value):
    *keys, value = keys_value

    def mutate(d):
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value
    return mutate


CONFIG_FILES = [
    # (name, category, content, what) -- content: bytes or a mutation of a valid configuration
    ("empty", "empty", b"", "empty file"),
    ("garbage", "malformed", bytes(range(256)), "binary garbage"),
    ("list", "malformed", b"[]", "a JSON list"),
    ("null", "malformed", b"null", "JSON null"),
    ("nolayers", "malformed", b"{}", "{} (no layers)"),
    ("seed_str", "malformed", _set("seed", "x"), "seed 'x' (wrong type)"),
    ("seed_neg", "out-of-range", _set("seed", -1), "seed -1"),
    ("seed_huge", "huge", _set("seed", 2 ** 70), "seed 2^70"),
    ("layers_int", "malformed", _set("layers", 5), "layers 5 (wrong type)"),
    ("layers_empty", "empty", _set("layers", []), "layers []"),
    ("w_shape", "malformed", _set("layers", 0, "w_exc", [[1, 2]]), "w_exc of another shape than w_inh"),
    ("w_neg", "out-of-range", _set("layers", 0, "w_exc", 0, 0, -3), "a weight -3"),
    ("w_big", "huge", _set("layers", 0, "w_exc", 0, 0, 10 ** 6), "a weight 10^6"),
    ("w_nan", "malformed", _set("layers", 0, "w_exc", 0, 0, float("nan")), "a weight NaN"),
    ("w_inf", "huge", _set("layers", 0, "w_exc", 0, 0, float("inf")), "a weight Infinity"),
    ("w_float", "malformed", _set("layers", 0, "w_exc", 0, 0, 1.5), "a weight 1.5"),
    ("w_str", "malformed", _set("layers", 0, "w_exc", 0, 0, "8"), "a weight '8' (a string)"),
    ("vth_neg", "out-of-range", _set("layers", 0, "params", "v_th", -5), "v_th -5"),
    ("vbits_str", "malformed", _set("layers", 0, "params", "v_bits", "16"), "v_bits '16' (a string)"),
    ("params_missing", "empty", lambda d: d["layers"][0].pop("params"), "a layer without params"),
    ("params_extra", "unknown-name", _set("layers", 0, "params", "bogus", 1), "an unknown neuron field"),
    ("wb_99", "out-of-range", _set("layers", 0, "weight_bits", 99), "weight_bits 99"),
    ("wb_true", "malformed", _set("layers", 0, "weight_bits", True), "weight_bits true"),
    ("lateral_neg", "out-of-range", _set("layers", 1, "lateral", -1), "lateral -1"),
    ("chain", "malformed", lambda d: d["layers"][1].update(w_exc=[[0, 0]] * 3, w_inh=[[0, 0]] * 3),
     "layer 1 has 3 inputs, layer 0 2 outputs"),
    ("huge_nin", "huge", lambda d: d["layers"][0].update(w_exc=[[0, 0]] * 5000, w_inh=[[0, 0]] * 5000),
     "a layer of 5000 inputs"),
]


def config_cases():
    """Core configuration JSON files (``-p network=`` of snn-core, ``nir export CONFIG.json``)."""
    cases = []
    T = "{tmp}"
    for name, cat, content, what in CONFIG_FILES:
        files = ((f"{name}.json", content if isinstance(content, bytes) else _core_config(content)),)
        cases.append(Case("config JSON (-p network=)", cat, what, "network", argv=(
            "verilog", "snn-core", "-p", f"network={T}/{name}.json", "-o", f"{T}/out.v"), files=files,
            outputs=("out.v",)))
        if name != "huge_nin":  # a 5000-input network is a legal NIR graph (only the core limits it)
            cases.append(Case("config JSON (nir export)", cat, what, "NETWORK", argv=(
                "nir", "export", f"{T}/{name}.json", "-o", f"{T}/out.nir"), files=files, outputs=("out.nir",)))
    cases.append(Case("config JSON (-p network=)", "missing-file", "a file that does not exist", "network", argv=(
        "verilog", "snn-core", "-p", f"network={T}/missing.json", "-o", f"{T}/out.v"), outputs=("out.v",)))
    cases.append(Case("config JSON (nir export)", "missing-file", "a file that does not exist", "NETWORK", argv=(
        "nir", "export", f"{T}/missing.json", "-o", f"{T}/out.nir"), outputs=("out.nir",)))
    return cases


def nir_cases():
    """``neuroxide nir import|run|export`` with bad files and options (None while the subcommand is absent)."""
    import importlib.util
    if importlib.util.find_spec("neuroxide.commands.nir") is None:
        return None
    T = "{tmp}"
    good = (("good.nir", _nir_graph("good")),)
    cases = []
    add = cases.append

    def imp(cat, what, fld, name, content, *extra):
        files = ((name, content),) if content is not None else ()
        add(Case("nir", cat, f"import: {what}", fld, argv=("nir", "import", f"{T}/{name}", "-o", f"{T}/out.json",
                                                             *extra), files=files, outputs=("out.json",)))
    imp("missing-file", "a file that does not exist", "FILE", "missing.nir", None)
    imp("empty", "empty file", "FILE", "empty.nir", b"")
    imp("malformed", "binary garbage", "FILE", "garbage.nir", bytes(range(256)) * 8)
    imp("malformed", "truncated HDF5", "FILE", "trunc.nir", _nir_graph("truncated"))
    imp("malformed", "HDF5 that is not NIR", "FILE", "plain.nir", _nir_graph("hdf5"))
    imp("unknown-name", "a Delay node (the core has none)", "node 'd'", "delay.nir", _nir_graph("delay"))
    imp("malformed", "NaN weights", "weight", "nanw.nir", _nir_graph("nanw"))
    imp("out-of-range", "negative tau", "tau", "negtau.nir", _nir_graph("negtau"))
    for what, fld, extra in (("--dt 0", "--dt", ("--dt", "0")), ("--dt nan", "--dt", ("--dt", "nan")),
                             ("--dt inf", "--dt", ("--dt", "inf")), ("--weight-bits 9", "--weight-bits",
                                                                      ("--weight-bits", "9")),
                             ("--seed -1", "--seed", ("--seed", "-1")),
                             ("--discretisation rk4", "--discretisation", ("--discretisation", "rk4"))):
        imp("out-of-range" if "rk4" not in what else "unknown-name", what, fld, "good.nir", good[0][1], *extra)
    add(Case("nir", "missing-file", "import: -o naming an existing folder", "output", argv=(
        "nir", "import", f"{T}/good.nir", "-o", f"{T}/adir"), files=good + (("adir/keep", b""),)))
    add(Case("nir", "empty", "no subcommand", "import|run|export", argv=("nir",)))
    add(Case("nir", "unknown-name", "subcommand 'convert'", "import|run|export", argv=("nir", "convert")))

    def run(cat, what, fld, *extra, files=()):
        add(Case("nir", cat, f"run: {what}", fld, argv=("nir", "run", f"{T}/good.nir", *extra, "--plot",
                                                          f"{T}/r.png"), files=good + files, outputs=("r.png",)))
    run("empty", "neither --input nor --random-steps", "--input")
    run("malformed", "both --input and --random-steps", "--input", "--input", f"{T}/s.npy", "--random-steps", "5",
        files=(("s.npy", _npy("two")),))
    run("out-of-range", "--random-steps 0", "--random-steps", "--random-steps", "0")
    run("huge", "--random-steps 10^6", "--random-steps", "--random-steps", "1000000")
    run("out-of-range", "--batch 0", "--batch", "--random-steps", "5", "--batch", "0")
    run("malformed", "--rate nan", "--rate", "--random-steps", "5", "--rate", "nan")
    run("out-of-range", "--rate 2", "--rate", "--random-steps", "5", "--rate", "2")
    run("out-of-range", "--lanes 3", "--lanes", "--random-steps", "5", "--lanes", "3")
    run("missing-file", "--input that does not exist", "--input", "--input", f"{T}/missing.npy")
    run("malformed", "--input binary garbage", "--input", "--input", f"{T}/g.npy", files=(("g.npy", bytes(range(256))),))
    run("empty", "--input empty file", "--input", "--input", f"{T}/e.npy", files=(("e.npy", b""),))
    run("malformed", "--input of the wrong shape", "--input", "--input", f"{T}/s.npy", files=(("s.npy", _npy("shape")),))
    run("out-of-range", "--input with a 2", "--input", "--input", f"{T}/s.npy", files=(("s.npy", _npy("two")),))
    run("malformed", "--input of NaNs", "--input", "--input", f"{T}/s.npy", files=(("s.npy", _npy("nan")),))
    run("malformed", "--input an object array (pickle)", "--input", "--input", f"{T}/s.npy",
        files=(("s.npy", _npy("obj")),))
    add(Case("nir", "malformed", "run: --plot r.jpg", "--plot", argv=("nir", "run", f"{T}/good.nir", "--random-steps",
                                                                      "5", "--plot", f"{T}/r.jpg"),
             files=good, outputs=("r.jpg",)))
    add(Case("nir", "missing-file", "run: -o naming an existing folder", "output", argv=(
        "nir", "run", f"{T}/good.nir", "--random-steps", "5", "-o", f"{T}/adir"), files=good + (("adir/keep", b""),)))
    add(Case("nir", "malformed", "export: -o without .nir", "-o", argv=("nir", "export", "digits", "-o", f"{T}/x.txt"),
             outputs=("x.txt",)))
    add(Case("nir", "malformed", "export: --dt nan", "--dt", argv=("nir", "export", "digits", "-o", f"{T}/x.nir",
                                                                   "--dt", "nan"), outputs=("x.nir",)))
    add(Case("nir", "out-of-range", "export: --weight-bits 0", "--weight-bits", argv=(
        "nir", "export", "digits", "-o", f"{T}/x.nir", "--weight-bits", "0"), outputs=("x.nir",)))
    add(Case("nir", "empty", "export: no -o", "--output", argv=("nir", "export", "digits")))
    return cases


def catalogue(designs=None):
    """Every case: the hand-written ones, then the generated ``-p`` sweeps."""
    return hand_cases() + (nir_cases() or []) + config_cases() + param_cases(designs) + device_cases()


# ------------------------------------------------------------------------------------------------
# running

def _materialise(case, tmp):
    for name, content in case.files:
        path = Path(tmp) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        else:
            path.write_bytes(content)


def _listing(tmp):
    return sorted(str(p.relative_to(tmp)) for p in Path(tmp).rglob("*"))


def _first_error(text):
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith("error:"):
            return ln
    return lines[-1] if lines else ""


def _run_cli(argv, tmp, use_subprocess):
    from neuroxide.cli import main
    if use_subprocess:
        proc = subprocess.run([sys.executable, "-m", "neuroxide.cli", *argv], cwd=tmp, capture_output=True, text=True,
                              timeout=300)
        return proc.returncode, proc.stderr
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), contextlib.chdir(tmp):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except Exception:  # noqa: BLE001 - what the catalogue looks for
            err.write(traceback.format_exc())
            code = "traceback"
    return code, err.getvalue()


def _run_call(case, tmp):
    from neuroxide.errors import ParameterError
    try:
        with contextlib.chdir(tmp):
            result = case.call(tmp)
    except ParameterError as exc:
        return 2, f"error: {exc}", None
    except Exception as exc:  # noqa: BLE001
        status = getattr(exc, "status", "-")
        if type(exc).__name__ == "ProtocolError":
            return f"ProtocolError({getattr(status, 'name', status)})", f"error: {exc}", status
        return "traceback", traceback.format_exc(), None
    return 0, f"accepted: {type(result).__name__}", None


def run_case(case):
    """Try one case in a fresh temporary folder; the :class:`Outcome` lists every broken promise."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="badinput-") as tmp:
        _materialise(case, tmp)
        before = _listing(tmp)
        problems = []
        if case.call is not None:
            code, err, _ = _run_call(case, tmp)
        else:
            argv = [a.replace("{tmp}", tmp) for a in case.argv]
            code, err = _run_cli(argv, tmp, case.subprocess)
        message = _first_error(err)
        if "Traceback" in err or code == "traceback":
            problems.append("traceback")
            message = [ln for ln in err.strip().splitlines() if ln.strip()][-1] if err.strip() else message
        if case.expect == "ProtocolError":
            want = f"ProtocolError({case.status or None})"
            if code != want:
                problems.append(f"expected {want}, got {code}")
        elif code != 2:
            problems.append(f"exit {code}, expected 2")
        if case.field.lower() not in message.lower():
            problems.append(f"message does not name {case.field!r}")
        if case.expect == "exit 2" and not any(m in message for m in ALLOWED_MARKERS):
            problems.append("message does not say what is allowed")
        after = _listing(tmp)
        new = [p for p in after if p not in before]
        left = [o for o in case.outputs if (Path(tmp) / o).exists()]
        if new or left:
            problems.append(f"left behind: {', '.join(sorted(set(new) | set(left)))}")
        message = message.replace(tmp, "$TMP")
    return Outcome(case, code, message, problems, round(time.perf_counter() - t0, 3))


def run_all(cases=None, progress=None):
    outcomes = []
    for case in cases if cases is not None else catalogue():
        outcomes.append(run_case(case))
        if progress:
            progress(1)
    return outcomes


# ------------------------------------------------------------------------------------------------
# the docs

def _cell(text, limit=150):
    text = str(text).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def markdown(outcomes, wall_s=None):
    """``docs/robustness.md``: totals, then a table per subcommand / reader (observed results)."""
    total = len(outcomes)
    passed = sum(o.passed for o in outcomes)
    lines = ["# Robustness: the bad-input catalogue", "",
             "Generated by `python -m neuroxide.testbench.badinput --doc docs/robustness.md` from the catalogue in "
             "`testbench/badinput.py` (the same cases `tests/test_bad_inputs.py` runs). Every exit code and message "
             "below was observed by running the case, not written by hand.", "",
             "A case passes when the command exits 2 (a reader: raises `ParameterError`, which the CLI turns into "
             "exit 2; the host-link decoder: raises `ProtocolError` with the status the device answers), its "
             "`error:` line names the field and what is allowed, no traceback is printed, and nothing is left "
             "behind: every case runs in a fresh folder that is also its working folder, and that folder must hold "
             "exactly the input files afterwards (no output file, no half-written temporary, no `build/`). `$TMP` "
             "stands for that folder. Cases marked (subprocess) run the real `python -m neuroxide.cli`; the others "
             "call `neuroxide.cli.main` in-process.", "",
             f"**{total} cases tried, {passed} pass, {total - passed} fail.**" + (
                 f" Run time {wall_s:.1f} s." if wall_s else ""), ""]
    cats = {}
    for o in outcomes:
        c = cats.setdefault(o.case.category, [0, 0])
        c[0] += 1
        c[1] += o.passed
    lines += ["| category | tried | pass |", "|---|---:|---:|"]
    lines += [f"| {cat} | {cats[cat][0]} | {cats[cat][1]} |" for cat in CATEGORIES if cat in cats]
    targets = {}
    for o in outcomes:
        if o.case.group is None:
            targets.setdefault(o.case.target, []).append(o)
    lines += ["", "| subcommand / reader | tried | pass |", "|---|---:|---:|"]
    for t, os_ in targets.items():
        lines.append(f"| {t} | {len(os_)} | {sum(o.passed for o in os_)} |")
    sections = {}
    for o in outcomes:
        if o.case.group is not None:
            sections.setdefault(o.case.target, {}).setdefault(o.case.group, []).append(o)
    for target, groups in sections.items():
        n = sum(len(v) for v in groups.values())
        lines.append(f"| {target} (generated: every parameter) | {n} | "
                     f"{sum(o.passed for v in groups.values() for o in v)} |")
    failing = [o for o in outcomes if not o.passed]
    if failing:
        lines += ["", "## Failing cases", "", "| case | exit | problems | message | cause (where known) |",
                  "|---|---|---|---|---|"]
        lines += [f"| {_cell(o.case.id)} | {o.code} | {_cell('; '.join(o.problems))} | {_cell(o.message)} | "
                  f"{_cell(KNOWN.get(o.case.id, '-'), 300)} |" for o in failing]
    for t, os_ in targets.items():
        lines += ["", f"## {t}", "", "| input tried | category | field | exit | message (first line) | ok |",
                  "|---|---|---|---|---|---|"]
        for o in os_:
            what = o.case.what + (" (subprocess)" if o.case.subprocess else "")
            lines.append(f"| {_cell(what, 80)} | {o.case.category} | `{o.case.field}` | {o.code} | "
                         f"{_cell(o.message)} | {'yes' if o.passed else 'NO: ' + _cell('; '.join(o.problems), 60)} |")
    intro = {
        "verilog -p": "`neuroxide verilog DESIGN -p NAME=VALUE -o out.v` for each parameter of `neuroxide list`: the "
                      "values just below and just above its range (the range its description states, else the one "
                      "probed through `configure` from the default), 1.5, text, an empty value; per design also "
                      "nan, inf, 10^30 and two unknown names.",
        "device -p": "`neuroxide device PRESET -p FIELD=VALUE --sweep 1:2:3 --plot d.png` for each numeric field of "
                     "every device preset: " + ", ".join(f"`{t or '(empty)'}`" for t, _ in DEVICE_VALUES) + ".",
    }
    for target, groups in sections.items():
        lines += ["", f"## {target}: every parameter", "", intro.get(target, "") + " Each row lists the values "
                  "tried with their exit codes; the message is the first case's."]
        for design, os_ in groups.items():
            lines += ["", f"### {design}", "", "| parameter | tried (exit) | message (first line) | ok |",
                      "|---|---|---|---|"]
            by_param = {}
            for o in os_:
                by_param.setdefault(o.case.param, []).append(o)
            for param, ps in by_param.items():
                tried = ", ".join(f"`{o.case.argv[3].split('=', 1)[1][:24] or '(empty)'}` ({o.code})" for o in ps)
                tried = tried.replace("{tmp}", "$TMP")
                ok = all(o.passed for o in ps)
                bad = "; ".join(f"{o.case.argv[3][:30]}: {', '.join(o.problems)}" for o in ps if not o.passed)
                lines.append(f"| `{param}` | {tried} | {_cell(ps[0].message)} | {'yes' if ok else 'NO: ' + _cell(bad, 120)} |")
    if nir_cases() is None:
        lines += ["", "## NIR", "", "No `neuroxide nir` subcommand in this checkout: its cases are pending."]
    lines += ["", "## Not covered", "",
              "* There is no configuration-file option (`--config`) in the CLI: a design's configuration is its "
              "`-p NAME=VALUE` set, swept above for every parameter.",
              "* `python -m neuroxide.bench --out FILE` (a maintainer tool, not a `neuroxide` subcommand) treats an "
              "unreadable existing FILE as empty and overwrites it."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description="Try every bad-input case; print the failures, optionally write the docs.")
    ap.add_argument("--doc", metavar="FILE.md", help="write the tables (e.g. docs/robustness.md)")
    ap.add_argument("--only", metavar="TARGETS", help="comma list of targets (e.g. maxcut,device); "
                    "'verilog -p' for the generated sweeps")
    args = ap.parse_args(argv)
    cases = catalogue()
    if args.only:
        keep = {t.strip() for t in args.only.split(",")}
        cases = [c for c in cases if c.target in keep]
    from tqdm import tqdm
    t0 = time.perf_counter()
    with tqdm(total=len(cases), desc="bad inputs", unit="case", file=sys.stderr, leave=False) as bar:
        outcomes = run_all(cases, progress=bar.update)
    wall = time.perf_counter() - t0
    failing = [o for o in outcomes if not o.passed]
    for o in failing:
        known = " (known: see KNOWN)" if o.case.id in KNOWN else ""
        print(f"FAIL{known} {o.case.id}: {'; '.join(o.problems)} | {o.message[:200]}")
    print(f"{len(outcomes)} cases tried, {len(outcomes) - len(failing)} pass, {len(failing)} fail ({wall:.1f} s)")
    failing = [o for o in failing if o.case.id not in KNOWN]
    if args.doc:
        from neuroxide.fileio import write_text
        write_text(args.doc, markdown(outcomes, wall))
        print(f"wrote {args.doc}")
    return 0 if not failing else 1


if __name__ == "__main__":
    sys.exit(main())
