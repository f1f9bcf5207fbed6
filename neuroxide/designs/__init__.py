"""Designs the CLI can generate, simulate and build: the plug-in base class and its registry.

A design is a gateware generator plus the model it must equal, a cocotb bench proving the two
equal, and a board top. Each lives in its own module of this package, which defines a
:class:`Design` subclass instance named ``DESIGN``; modules are found automatically
(:func:`neuroxide.discovery.plugin_modules`), so adding a design means adding one file
(``neuroxide/designs/<name>.py``), nothing else.

Parameters (``-p NAME=VALUE``, parsed by :func:`neuroxide.overrides.parse_overrides`) are validated
by :meth:`Design.configure` before any file is written: a wrong name or value raises
:class:`~neuroxide.errors.ParameterError` naming it and the allowed range. What a design's
``simulate`` shares with the others (chunked cocotb runs, the result summary) is in
:mod:`neuroxide.testbench.runner`.
"""

from neuroxide.discovery import plugin_modules
from neuroxide.errors import ParameterError
from neuroxide.overrides import naming_overrides

__all__ = ["Design", "DESIGNS", "get_design", "configure", "parameter_table", "elaborate", "to_verilog"]


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
        """Validate ``overrides`` (dict of ``-p`` values) -> configuration object."""
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
    for module in plugin_modules(__name__):
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


def configure(design, overrides=None):
    """Validate ``overrides`` (``-p`` values) for ``design`` -> its configuration.

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


DESIGNS = _discover()  # last: design modules import the base class above
