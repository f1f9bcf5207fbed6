"""Generated bad input: every parameter of every design (``neuroxide verilog DESIGN -p NAME=VALUE``)
and every numeric field of every device preset (``neuroxide device PRESET -p FIELD=VALUE``).

An integer parameter is tried just below and just above its range: the range its description
states (``lo..hi``) or, where it states none, the one found by probing ``configure`` outward
from the default (:func:`int_bounds`).
"""

import functools
import re

from .case import TMP, Case

__all__ = ["PROBE_LIMIT", "DEVICE_VALUES", "int_bounds", "param_cases", "device_cases"]

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
    T = TMP
    for design in designs or DESIGNS:
        rows = parameter_table(design)

        def case(cat, what, fld, item, param, files=()):
            return Case("verilog -p", cat, f"{design} -p {what}", fld,
                        argv=("verilog", design, "-p", item, "-o", f"{T}/out.v"), files=files, outputs=("out.v",),
                        group=design, param=param)

        for name, default, doc in rows:
            if name == "graph":
                cases.append(case("missing-file", "graph=<missing file>", "graph", f"graph={T}/missing.txt", name))
                cases.append(case("empty", "graph=<empty file>", "graph", f"graph={T}/e.txt", name,
                                  files=(("e.txt", b""),)))
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
                                        f"{TMP}/d.png"), outputs=("d.png",), group=preset, param=f.name))
    cases.append(Case("device -p", "out-of-range", "afefet-hzo -p tau_relax_s=1e-12 (leak underflows)",
                      "tau_relax_s", argv=("device", "afefet-hzo", "-p", "tau_relax_s=1e-12", "--plot", f"{TMP}/d.png"),
                      outputs=("d.png",), group="afefet-hzo", param="tau_relax_s"))
    return cases
