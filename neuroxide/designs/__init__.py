"""Designs the CLI can generate, simulate and build, and their ``-p NAME=VALUE`` parameters.

A design is a gateware generator plus the model it must equal, a cocotb bench proving the two
equal, and a board top. Each lives in its own module of this package, which defines a
:class:`Design` subclass instance named ``DESIGN``; modules are found automatically, so adding a
design means adding one file (``neuroxide/designs/<name>.py``), nothing else.

Parameters are validated by :meth:`Design.configure` before any file is written: a wrong name or
value raises :class:`~neuroxide.errors.ParameterError` naming it and the allowed range.
"""

import dataclasses
import importlib
import math
import pkgutil
from contextlib import contextmanager

from neuroxide.errors import ParameterError

__all__ = ["Design", "DESIGNS", "get_design", "parse_overrides", "configure", "check_int_params",
           "parameter_table", "elaborate", "to_verilog", "configure_device", "simulate_chunked", "si_float",
           "naming_overrides", "SI_MAGNITUDE", "bench_summary"]

SI_MAGNITUDE = (1e-24, 1e24)  # yocto..yotta: every device value of every family lies well inside


class Design:
    """One design of the flow. Subclasses set the four names and implement the methods.

    ``configure`` returns a frozen configuration object with a ``design`` attribute (this design's
    name) and a ``to_dict()`` for JSON; the other methods take that object.
    """

    name: str = ""
    summary: str = ""
    model: str = ""   # dotted path of the golden model (shown by `neuroxide list`)
    rtl: str = ""     # dotted path of the Amaranth component

    def parameter_table(self):
        """``[(name, default, description)]`` of every ``-p`` parameter (description gives the range)."""
        raise NotImplementedError

    def configure(self, overrides):
        """Validate ``overrides`` (dict from :func:`parse_overrides`) -> configuration object."""
        raise NotImplementedError

    def elaborate(self, cfg):
        """The Amaranth component whose Verilog ``neuroxide verilog`` writes."""
        raise NotImplementedError

    def simulate(self, cfg, simulator, steps, build_dir, waves=None, progress=None, **options):
        """cocotb run against the model; returns at least ``design, simulator, steps, cycles,
        mismatches, wall_s`` (the ``neuroxide simulate`` JSON). ``progress(done, total)``."""
        raise NotImplementedError

    def board_top(self, cfg, board):
        """The Elaboratable that ``neuroxide build`` places and routes on ``board``."""
        raise NotImplementedError


def _discover():
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        design = getattr(module, "DESIGN", None)
        if isinstance(design, Design):
            found[design.name] = design
    return found


def get_design(name):
    if name not in DESIGNS:
        raise ParameterError("design", name, " | ".join(DESIGNS))
    return DESIGNS[name]


def parameter_table(name):
    """``[(name, default, description)]`` of every ``-p`` parameter of design ``name``."""
    return get_design(name).parameter_table()


def check_int_params(spec, overrides):
    """Validate integer parameters against ``spec = {name: (doc, default, lo, hi)}``.

    Returns ``{name: value}`` for every name in ``spec`` (default where not overridden); a value
    that is not an integer in ``lo..hi`` raises ParameterError naming it and the range.
    """
    out = {}
    for name, (_, default, lo, hi) in spec.items():
        value = overrides.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ParameterError(name, value, f"{lo}..{hi}")
        out[name] = value
    return out


def check_known(design, overrides, known):
    """Raise ParameterError for the first override whose name is not in ``known``."""
    for name in overrides:
        if name not in known:
            raise ParameterError(name, overrides[name], f"a parameter of design {design!r}: "
                                 f"{', '.join(sorted(known))}", why="unknown parameter")


def _parse_value(name, text):
    text = text.strip()
    if text.lower() in ("none", ""):
        return None
    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_overrides(items):
    """``["v_th=5000", "reset_mode=subtract"]`` -> dict; a malformed item raises ParameterError."""
    out = {}
    for item in items or ():
        if "=" not in item:
            raise ParameterError("-p", item, "NAME=VALUE")
        name, _, value = item.partition("=")
        if not name.strip():
            raise ParameterError("-p", item, "NAME=VALUE", why="the name is empty")
        out[name.strip()] = _parse_value(name, value)
    return out


def simulate_chunked(cfg, make_top, bench, simulator, steps, build_dir, waves=None, progress=None,
                     chunk=2048, extra_config=None):
    """cocotb run of a chunked neuron bench top (``neuroxide.testbench.chunked``).

    ``make_top(chunk)`` builds the bench top for chunks of ``chunk`` steps; ``bench`` names its
    Verilog top and its cocotb module ``neuroxide.testbench.<bench>``; ``extra_config`` is added to
    the bench configuration (e.g. a different model for the negative test). Returns the
    ``neuroxide simulate`` JSON of a neuron design.
    """
    import time
    from pathlib import Path

    from amaranth.back import verilog

    from neuroxide.testbench.runner import run_bench

    if isinstance(chunk, bool) or not isinstance(chunk, int) or not 1 <= chunk <= 65536:
        raise ParameterError("chunk", chunk, "1..65536")
    n_chunks = -(-steps // chunk)
    chunk = -(-steps // n_chunks)  # equal chunks, so the RTL runs (nearly) exactly `steps` steps
    t0 = time.perf_counter()
    text = verilog.convert(make_top(chunk), name=bench, emit_src=False)
    config = cfg.to_dict() | {"steps": steps, "chunk": chunk} | (extra_config or {})
    result = run_bench(simulator, text, bench, f"neuroxide.testbench.{bench}", config, Path(build_dir) / simulator,
                       waves=waves, progress=progress)
    return {"design": cfg.design, "simulator": simulator, "steps": result["steps"], "cycles": result["cycles"],
            "mismatches": result["mismatches"], "wall_s": round(time.perf_counter() - t0, 3),
            "neurons": cfg.n, "spikes": result["spikes"], "field_mismatches": result["field_mismatches"],
            "first_mismatch": result["first_mismatch"], "cycles_per_s": result["cycles_per_s"],
            "build_s": result["build_s"], "waves": str(waves) if waves else None}


def si_float(name, value):
    """``float(value)`` of a device override in SI units, else ParameterError naming ``name``.

    0, nan and +-inf pass through (the preset's own validation decides: some fields may be 0 or
    infinite, e.g. a FeFET's ``tau_relax_s``); a finite non-zero value must have a magnitude within
    :data:`SI_MAGNITUDE`, beyond which no device lies and the float arithmetic of the models
    under- or overflows.
    """
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ParameterError(name, value, "a number in SI units (e.g. 1e-9)") from None
    lo, hi = SI_MAGNITUDE
    if math.isfinite(x) and x != 0 and not lo <= abs(x) <= hi:
        raise ParameterError(name, value, f"0 or a magnitude within {lo:g}..{hi:g} (SI units)",
                             why="beyond any physical device")
    return x


@contextmanager
def naming_overrides(overrides, context):
    """Re-raise a ParameterError on a field that was not overridden with the overrides named.

    A value left at its default can conflict with an override (``-p r_load_ohm=1e9`` moves the
    oscillating range away from the preset's operating range); the error then names the field that
    broke and, through this, the ``-p`` values that broke it.
    """
    try:
        yield
    except ParameterError as exc:
        if not overrides or exc.field in overrides or getattr(exc, "overrides_named", False):
            raise
        given = " ".join(f"-p {k}={v!r}" for k, v in overrides.items())
        why = (f"{exc.why}; " if exc.why else "") + (f"{context} " if context else "") + f"with {given}"
        error = ParameterError(exc.field, exc.value, exc.allowed, why=why)
        error.overrides_named = True
        raise error from None


def bench_summary(cfg, simulator, bench, t0, waves, per):
    """The ``neuroxide simulate`` JSON of a whole-run neuron bench (hh, izhikevich).

    ``bench`` is the bench's result, ``t0`` the ``time.perf_counter()`` at the start, ``per`` the pair
    ``(per-item key of the bench result, list attribute of cfg)``, e.g. ``("per_stimulus", "stimuli")``.
    """
    import time
    key, items = per
    return {"design": cfg.design, "simulator": simulator, "steps": bench["steps"], "cycles": bench["cycles"],
            "mismatches": bench["mismatches"], "wall_s": round(time.perf_counter() - t0, 3),
            "neurons": cfg.n, items: list(getattr(cfg, items)), "spikes": bench["spikes"],
            key: bench[key], "first_mismatch": bench["first_mismatch"],
            "cycles_per_s": bench["cycles_per_s"], "build_s": bench["build_s"],
            "waves": str(waves) if waves else None}


def configure(design, overrides=None):
    """Validate ``overrides`` (from :func:`parse_overrides`) for ``design`` -> its configuration.

    When the error is on a field that was not given (a parameter left at its default that an
    override puts out of range, ``-p adapt_bits=3`` with ``adapt_shift=4``; a field inside a file
    named by ``-p graph=`` or ``-p network=``), it names the overrides too, so the message always
    names what the user gave.
    """
    d = get_design(design)
    overrides = dict(overrides or {})
    with naming_overrides(overrides, ""):
        return d.configure(overrides)


def elaborate(cfg):
    """The Amaranth component of a configuration."""
    return get_design(cfg.design).elaborate(cfg)


def to_verilog(cfg, name=None):
    """Deterministic Verilog of the design (no source paths, same text on every machine)."""
    from amaranth.back import verilog
    return verilog.convert(elaborate(cfg), name=name or cfg.design.replace("-", "_"), emit_src=False)


def configure_device(preset_name, overrides=None):
    """A device preset with ``-p`` overrides of its circuit values (SI floats) and calibration widths.

    Returns ``(preset, widths)``; the preset's and the widths' own validation names a bad field
    (V_hold >= V_th, a non-positive R or C, an operating range the circuit cannot oscillate over,
    widths too narrow for the threshold ...).
    """
    from neuroxide.models.calibrate import CalibrationWidths
    from neuroxide.models.devices import CIRCUIT_FIELDS, get_preset
    preset = get_preset(preset_name)
    width_names = [f.name for f in dataclasses.fields(CalibrationWidths)]
    device_kw, width_kw = {}, {}
    for name, value in (overrides or {}).items():
        if name in CIRCUIT_FIELDS:
            device_kw[name] = si_float(name, value)
        elif name in width_names:
            if not isinstance(value, int):
                raise ParameterError(name, value, "an integer")
            width_kw[name] = value
        else:
            raise ParameterError(name, value, ", ".join(CIRCUIT_FIELDS + tuple(width_names)),
                                 why=f"unknown parameter of device preset {preset_name!r}")
    if device_kw:
        preset = preset.replace(**device_kw, assumed=tuple(sorted(set(preset.assumed) | set(device_kw))))
    return preset, CalibrationWidths(**width_kw)


DESIGNS = _discover()  # last: design modules import the helpers above
