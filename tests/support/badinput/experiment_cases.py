"""Bad input to the experiment subcommands: ``digits``, ``hh``, ``hopfield``, ``izhikevich`` and
the board link ``link``."""

from .case import TMP, cli_case, subcommand

__all__ = ["experiment_cases"]


def experiment_cases():
    """One case per kind of bad input to each experiment subcommand (refused before any run)."""
    cases = []
    add = cases.append
    T = TMP

    # --- digits
    dg = subcommand("digits", "digits", tail=("--plot", f"{T}/d.png"), outputs=("d.png",))
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
    add(cli_case("digits", "malformed", "--plot d.pdf", "--plot", "digits", "--plot", f"{T}/d.pdf", outputs=("d.pdf",)))
    add(cli_case("digits", "missing-file", "--plot naming an existing folder", "--plot", "digits", "--limit", "1",
                 "--backend", "float", "--plot", f"{T}/adir.png", files=(("adir.png/keep", b""),)))
    add(cli_case("digits", "missing-file", "--build-dir is a file", "--build-dir", "digits", "--limit", "1",
                 "--build-dir", f"{T}/afile", files=(("afile", b"x"),)))

    # --- hh
    hh = subcommand("hh", "hh", tail=("--plot", f"{T}/h.png"), outputs=("h.png",))
    add(hh("unknown-name", "--stimulus nope", "--stimulus", "--stimulus", "nope"))
    add(hh("empty", "--stimulus ''", "--stimulus", "--stimulus", ""))
    add(hh("malformed", "--stimulus ','", "--stimulus", "--stimulus", ","))
    add(hh("unknown-name", "--stimulus rest,nope", "--stimulus", "--stimulus", "rest,nope"))
    add(hh("out-of-range", "--steps 5", "--steps", "--steps", "5"))
    add(hh("huge", "--steps 10^9", "--steps", "--steps", "1000000000"))
    add(hh("malformed", "--steps 1e3", "--steps", "--steps", "1e3"))
    add(hh("unknown-name", "--backend gpu", "--backend", "--backend", "gpu"))
    add(hh("unknown-name", "--simulator modelsim", "simulator", "--backend", "rtl", "--simulator", "modelsim"))
    add(cli_case("hh", "malformed", "--plot h.svg", "--plot", "hh", "--plot", f"{T}/h.svg", outputs=("h.svg",)))
    add(cli_case("hh", "missing-file", "--plot naming an existing folder", "--plot", "hh", "--stimulus", "rest",
                 "--steps", "10", "--plot", f"{T}/adir.png", files=(("adir.png/keep", b""),)))
    add(cli_case("hh", "missing-file", "--build-dir is a file", "--build-dir", "hh", "--backend", "rtl", "--stimulus",
                 "rest", "--steps", "10", "--build-dir", f"{T}/afile", files=(("afile", b"x"),)))

    # --- hopfield
    hf = subcommand("hopfield", "hopfield", tail=("--plot", f"{T}/h.png"), outputs=("h.png",))
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
    add(cli_case("hopfield", "malformed", "--plot h.jpg", "--plot", "hopfield", "--plot", f"{T}/h.jpg",
                 outputs=("h.jpg",)))
    add(cli_case("hopfield", "missing-file", "--plot naming an existing folder", "--plot", "hopfield", "--n", "8",
                 "--patterns", "1", "--noise", "0", "--steps", "2", "--plot", f"{T}/adir.png", files=(("adir.png/keep",
                                                                                                       b""),)))

    # --- izhikevich
    iz = subcommand("izhikevich", "izhikevich", tail=("--plot", f"{T}/i.png"), outputs=("i.png",))
    add(iz("unknown-name", "--panel Z", "panel", "--panel", "Z"))
    add(iz("empty", "--panel ''", "panel", "--panel", ""))
    add(iz("malformed", "--panel ','", "panel", "--panel", ","))
    add(iz("malformed", "--panel AB (two letters)", "panel", "--panel", "AB"))
    add(iz("unknown-name", "--backend gpu", "--backend", "--backend", "gpu"))
    add(iz("unknown-name", "--simulator modelsim", "simulator", "--backend", "rtl", "--simulator", "modelsim"))
    add(cli_case("izhikevich", "malformed", "--plot without .png", "--plot", "izhikevich", "--plot", f"{T}/i",
                 outputs=("i",)))
    add(cli_case("izhikevich", "missing-file", "--plot naming an existing folder", "--plot", "izhikevich", "--panel",
                 "A", "--backend", "float", "--plot", f"{T}/adir.png", files=(("adir.png/keep", b""),)))
    add(cli_case("izhikevich", "missing-file", "--build-dir is a file", "--build-dir", "izhikevich", "--backend", "rtl",
                 "--panel", "A", "--build-dir", f"{T}/afile", files=(("afile", b"x"),)))

    # --- link (validated before the port is opened: a missing port only matters once the rest is valid)
    lk = subcommand("link", "link", "--port", f"{T}/noport")
    add(lk("missing-file", "--port that does not exist", "port", "ping"))
    add(cli_case("link", "malformed", "--port is a plain file", "port", "link", "--port", f"{T}/afile", "ping",
                 files=(("afile", b"x"),)))
    add(cli_case("link", "empty", "no --port", "--port", "link", "ping"))
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
    return cases
