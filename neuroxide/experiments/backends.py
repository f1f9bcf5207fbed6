"""The back ends an experiment runs on: one registry that every experiment and command reads.

* ``float``: the float64 reference (device physics, float network, ODE) -- no fixed point;
* ``model``: the bit-exact fixed-point model of ``neuroxide.models`` (numpy);
* ``rtl``: the generated core in a simulator, compared with the model at every step;
* ``board``: the core on a board (a real one, or ``neuroxide emulate``'s) over the UART host link at
  ``--port``, its spikes or phases compared with the model's.

An experiment declares the back ends it supports as ``BACKENDS = {Backend.MODEL: "what model means
here", ...}``, in the order its help lists them; its setup validates with :func:`check_backend`, and
its command builds ``--backend`` from the same mapping (``neuroxide.commands.add_backend``).
"""

import enum

from neuroxide.errors import ParameterError

__all__ = ["Backend", "check_backend", "backend_names", "backend_help"]


class Backend(enum.Enum):
    """A back end, by the name the command line and the JSON results use."""

    FLOAT = "float"
    MODEL = "model"
    RTL = "rtl"
    BOARD = "board"


def backend_names(supported):
    """The names of ``supported`` back ends (a ``{Backend: meaning}`` mapping), in its order."""
    return [b.value for b in supported]


def check_backend(value, supported, field="backend"):
    """``value`` (a :class:`Backend` or its name) as a :class:`Backend` when ``supported`` holds it,
    else ParameterError naming ``field`` and listing the supported names."""
    try:
        backend = Backend(value)
    except (ValueError, TypeError):
        backend = None
    if backend not in supported:
        raise ParameterError(field, value.value if isinstance(value, Backend) else value,
                             " | ".join(backend_names(supported)))
    return backend


def backend_help(supported, default):
    """``"float: <meaning>; model: <meaning> (default); ..."`` of an experiment's ``BACKENDS``."""
    return "; ".join(f"{b.value}: {meaning}" + (" (default)" if b is default else "")
                     for b, meaning in supported.items())
