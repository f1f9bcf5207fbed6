"""Bad device preset files (``neuroxide device FILE.toml``, ``device NAME --export``) and bad
measurement CSVs (``neuroxide device fit``): each names the file and the key, or the file, row and
column, and writes nothing (no ``-o`` preset file, no plot)."""

from .case import TMP, subcommand

__all__ = ["device_file_cases", "VALID_PRESET", "VALID_IV"]

T = TMP

VALID_PRESET = b"""name = "mine"
family = "ts"
source = "a test"
assumed = ["c_farad"]

[parameters]
r_load_ohm = "2 kOhm"
c_farad = "71.1 pF"
r_off_ohm = "20 kOhm"
r_on_ohm = "300 Ohm"
r_sense_ohm = "10 Ohm"
v_th_volt = "1 V"
v_hold_volt = "700 mV"
vin_min_volt = "1.5 V"
vin_max_volt = "4 V"
"""


def _preset(old, new):
    assert old in VALID_PRESET, old
    return VALID_PRESET.replace(old, new)


def _sweep_rows(v_th=1.0, v_hold=0.6, step=0.05, r_off=20e3, r_on=400.0, cycles=1):
    rows = []
    for c in range(cycles):
        n = int(round(1.6 / step))
        up = [k * step for k in range(n + 1)]
        state = False
        for v in up + up[-2::-1]:
            going_up = len(rows) % (2 * n + 1) <= n
            state = (state or v >= v_th) if going_up else (state and v > v_hold)
            rows.append(f"d1,{c},{v:.4g},{v / (r_on if state else r_off):.6g}")
    return rows


VALID_IV = ("device,cycle,v_volt,i_amp\n" + "\n".join(_sweep_rows(cycles=2)) + "\n").encode()


def _iv(transform):
    lines = VALID_IV.decode().splitlines()
    return ("\n".join(transform(lines)) + "\n").encode()


def _replace_cell(row, col, value):
    """Set cell ``col`` (index) of data row ``row`` (1-based line of the file) to ``value``."""
    def t(lines):
        cells = lines[row - 1].split(",")
        cells[col] = value
        lines[row - 1] = ",".join(cells)
        return lines
    return t


def device_file_cases():
    cases = []
    add = cases.append
    P = f"{T}/fv.png"
    dev = subcommand("device", "device", outputs=("fv.png",))

    def pf(category, what, fld, content):
        add(dev(category, f"preset file: {what}", fld, f"{T}/p.toml", "--plot", P, files=(("p.toml", content),)))

    pf("missing-file", "no such file", "preset", b"")
    cases[-1] = dev("missing-file", "preset file: no such file", "preset", f"{T}/none.toml", "--plot", P)
    pf("empty", "empty file", "family", b"")
    pf("malformed", "not TOML", "TOML", b"name = \n[[[")
    pf("unknown-name", "unknown top-level key", "p.toml: colour", b'colour = "red"\n' + VALID_PRESET)
    pf("unknown-name", "unknown parameter", "parameters.r_foo_ohm", VALID_PRESET + b'r_foo_ohm = "1 Ohm"\n')
    pf("unknown-name", "unknown family", "p.toml: family", _preset(b'family = "ts"', b'family = "memristor"'))
    pf("malformed", "value without its unit", "parameters.c_farad", _preset(b'"71.1 pF"', b'"71.1e-12"'))
    pf("malformed", "bare number for a value with a unit", "parameters.c_farad", _preset(b'"71.1 pF"', b"71.1e-12"))
    pf("malformed", "wrong unit (V for an Ohm value)", "parameters.r_on_ohm", _preset(b'"300 Ohm"', b'"300 V"'))
    pf("malformed", "prefix case (pf)", "parameters.c_farad", _preset(b'"71.1 pF"', b'"71.1 pf"'))
    pf("malformed", "not a number", "parameters.v_th_volt", _preset(b'"1 V"', b'"one V"'))
    pf("empty", "missing parameter", "parameters.r_sense_ohm", _preset(b'r_sense_ohm = "10 Ohm"\n', b""))
    pf("out-of-range", "V_hold >= V_th", "parameters.v_hold_volt", _preset(b'"700 mV"', b'"1.2 V"'))
    pf("out-of-range", "R_on >= R_off", "parameters.r_on_ohm", _preset(b'"300 Ohm"', b'"30 kOhm"'))
    pf("out-of-range", "negative capacitance", "parameters.c_farad", _preset(b'"71.1 pF"', b'"-71.1 pF"'))
    pf("huge", "capacitance 1e30 F", "parameters.c_farad", _preset(b'"71.1 pF"', b'"1e30 F"'))
    pf("unknown-name", "assumed names no parameter", "assumed", _preset(b'["c_farad"]', b'["c_farad", "colour"]'))
    pf("out-of-range", "spread sigma 1.5", "spread.v_th_volt.d2d", VALID_PRESET + b"[spread.v_th_volt]\nd2d = 1.5\n")
    pf("unknown-name", "spread kind 'wafer'", "spread.v_th_volt.wafer", VALID_PRESET + b"[spread.v_th_volt]\nwafer = 0.1\n")
    pf("malformed", "name with a path", "p.toml: name", _preset(b'name = "mine"', b'name = "../x"'))
    exp = subcommand("device", "device", outputs=("x.txt", "x.toml"))
    add(exp("malformed", "--export not .toml", "--export", "nbox", "--export", f"{T}/x.txt"))
    add(exp("malformed", "--export with a calibration width", "v_bits", "nbox", "-p", "v_bits=12", "--export",
            f"{T}/x.toml"))
    add(exp("missing-file", "--export into a folder", "--export", "nbox", "--export", T))

    # --- device fit: measurement CSVs
    fit = subcommand("device fit", "device", "fit", tail=("--family", "ts", "-o", f"{T}/out.toml", "--plot",
                                                          f"{T}/fit.png"), outputs=("out.toml", "fit.png"))

    def csv_case(category, what, fld, content):
        add(fit(category, f"CSV: {what}", fld, f"{T}/iv.csv", files=(("iv.csv", content),)))

    csv_case("missing-file", "no such file", "DATA", b"")
    cases[-1] = fit("missing-file", "CSV: no such file", "DATA", f"{T}/none.csv")
    csv_case("empty", "empty file", "iv.csv: row 1", b"")
    csv_case("malformed", "missing column i_amp", "column i_amp",
             _iv(lambda ls: [",".join(ln.split(",")[:3]) for ln in ls]))
    csv_case("malformed", "column without its unit (v)", "column v",
             _iv(lambda ls: [ls[0].replace("v_volt", "v")] + ls[1:]))
    csv_case("unknown-name", "unknown column", "column temperature_k",
             _iv(lambda ls: [ln + (",temperature_k" if i == 0 else ",300") for i, ln in enumerate(ls)]))
    csv_case("malformed", "non-numeric cell at row 5", "row 5, column i_amp", _iv(_replace_cell(5, 3, "abc")))
    csv_case("malformed", "NaN at row 7", "row 7, column v_volt", _iv(_replace_cell(7, 2, "nan")))
    csv_case("malformed", "short row", "row 4", _iv(lambda ls: ls[:3] + ["d1,0,0.1"] + ls[4:]))
    csv_case("malformed", "sweep with no hysteresis (ohmic)", "column i_amp",
             ("device,cycle,v_volt,i_amp\n" + "\n".join(
                 f"d1,0,{v:.3g},{v / 1e3:.6g}" for v in [k * 0.05 for k in range(33)] + [k * 0.05 for k in range(31, -1, -1)]
             ) + "\n").encode())
    csv_case("out-of-range", "too few points", "column v_volt", b"device,cycle,v_volt,i_amp\nd1,0,0,0\nd1,0,1,1e-4\n")
    csv_case("out-of-range", "turns off above its turn-on voltage", "column",
             ("device,cycle,v_volt,i_amp\n" + "\n".join(_sweep_rows(v_th=1.0, v_hold=1.3)) + "\n").encode())
    bare = subcommand("device fit", "device", "fit", outputs=("out.toml", "out.txt"))
    add(bare("unknown-name", "--family memristor", "--family", f"{T}/iv.csv", "--family", "memristor", "-o",
             f"{T}/out.toml", files=(("iv.csv", VALID_IV),)))
    add(bare("malformed", "-o not .toml", "-o", f"{T}/iv.csv", "--family", "ts", "-o", f"{T}/out.txt",
             files=(("iv.csv", VALID_IV),)))
    add(fit("unknown-name", "--base of another family", "base", f"{T}/iv.csv", "--base", "mtj-sot",
            files=(("iv.csv", VALID_IV),)))
    add(fit("malformed", "pulses file for the ts family", "column v_volt", f"{T}/p.csv",
            files=(("p.csv", b"v_exc_volt,pulse_width_s,pulses_to_fire\n2,1e-7,5\n2.2,1e-7,4\n2.4,1e-7,3\n2.6,1e-7,2\n"),)))
    # a LIF-mapped zoo design calibrated from another device: a preset of its own family only
    ver = subcommand("verilog -p preset", "verilog", tail=("-o", f"{T}/x.v"), outputs=("x.v",))
    add(ver("unknown-name", "fefet design, device of another family", "preset", "fefet", "-p", "preset=mtj-sot"))
    add(ver("missing-file", "nbo2-osc design, no such preset file", "preset", "nbo2-osc", "-p",
            f"preset={T}/none.toml"))
    return cases
