"""Registry of the FPGA boards neuroxide builds for.

Each :class:`Board` names an amaranth-boards platform class and the facts the build report needs:
the FPGA family, the device, which nextpnr bel counts as a LUT-class cell (``ICESTORM_LC`` on
iCE40, ``TRELLIS_COMB`` on ECP5), the default clock and the user LEDs the board top may drive.

Supported boards:

=============  ==================  ============  ========  ==========================================
name           platform            device        clock     LEDs (amaranth-boards resource, number)
=============  ==================  ============  ========  ==========================================
``icebreaker`` ICEBreakerPlatform  iCE40UP5K     12 MHz    ``led_r`` 0, ``led_g`` 0 on the main board;
                                                           ``led_r`` 1, ``led_g`` 1..4 on the
                                                           break-off PMOD (added with add_resources)
``ulx3s-85f``  ULX3S_85F_Platform  LFE5U-85F     25 MHz    ``led`` 0..7
=============  ==================  ============  ========  ==========================================
"""

from dataclasses import dataclass

from neuroxide.errors import ParameterError

__all__ = ["Board", "BOARDS", "get_board", "list_boards", "board_for_platform"]


@dataclass(frozen=True)
class Board:
    """One supported board.

    ``leds`` lists ``(resource_name, number)`` pairs in display order; ``extra_resources`` names the
    platform attribute holding resources that must be added before those LEDs can be requested
    (iCEBreaker's break-off PMOD), or is ``None``. ``lut_cell``, ``ff_cell``, ``bram_cell`` and
    ``dsp_cells`` are the nextpnr bel types counted in the report (``ff_cell`` is ``None`` where
    flip-flops live inside the LUT-class cell and are counted from the yosys netlist instead).
    """

    name: str
    fpga: str
    device: str
    package: str
    toolchain: str
    platform_module: str
    platform_class: str
    clock_hz: float
    leds: tuple
    lut_cell: str
    ff_cell: "str | None"
    bram_cell: str
    dsp_cells: tuple
    extra_resources: "str | None" = None
    synth_opts: str = ""

    def platform(self):
        """Instantiate the amaranth-boards platform, with the extra LED resources added."""
        import importlib
        module = importlib.import_module(self.platform_module)
        platform = getattr(module, self.platform_class)()
        if self.extra_resources is not None:
            platform.add_resources(getattr(platform, self.extra_resources))
        return platform

    def as_dict(self):
        """The row ``neuroxide boards`` prints: name, fpga, device, toolchain, leds, clock."""
        return {
            "name": self.name,
            "fpga": self.fpga,
            "device": self.device,
            "package": self.package,
            "toolchain": self.toolchain,
            "clock_mhz": self.clock_hz / 1e6,
            "leds": [f"{resource}[{number}]" for resource, number in self.leds],
            "lut_cell": self.lut_cell,
        }


BOARDS = {
    "icebreaker": Board(
        name="icebreaker",
        fpga="ice40",
        device="iCE40UP5K",
        package="SG48",
        toolchain="IceStorm",
        platform_module="amaranth_boards.icebreaker",
        platform_class="ICEBreakerPlatform",
        clock_hz=12e6,
        # main-board red and green first, then the five LEDs of the break-off PMOD (on PMOD2)
        leds=(("led_r", 0), ("led_g", 0),
              ("led_r", 1), ("led_g", 1), ("led_g", 2), ("led_g", 3), ("led_g", 4)),
        lut_cell="ICESTORM_LC",
        ff_cell=None,  # the iCE40 DFF sits inside ICESTORM_LC; counted from yosys SB_DFF* cells
        bram_cell="ICESTORM_RAM",
        dsp_cells=("ICESTORM_DSP",),
        extra_resources="break_off_pmod",
        # without -dsp yosys builds multipliers from LCs (hundreds per 16x16) on the UP5K
        synth_opts="-dsp",
    ),
    "ulx3s-85f": Board(
        name="ulx3s-85f",
        fpga="ecp5",
        device="LFE5U-85F",
        package="BG381",
        toolchain="Trellis",
        platform_module="amaranth_boards.ulx3s",
        platform_class="ULX3S_85F_Platform",
        clock_hz=25e6,
        leds=tuple(("led", i) for i in range(8)),
        lut_cell="TRELLIS_COMB",
        ff_cell="TRELLIS_FF",
        bram_cell="DP16KD",
        dsp_cells=("MULT18X18D",),
    ),
}


def get_board(name):
    """The :class:`Board` called ``name``; :class:`ParameterError` on ``field="board"`` otherwise."""
    try:
        return BOARDS[name]
    except (KeyError, TypeError):
        raise ParameterError("board", name, sorted(BOARDS)) from None


def list_boards():
    """One dict per supported board (see :meth:`Board.as_dict`), sorted by name."""
    return [BOARDS[name].as_dict() for name in sorted(BOARDS)]


def board_for_platform(platform):
    """The :class:`Board` whose platform class ``platform`` is an instance of, or ``None``."""
    for cls in type(platform).__mro__:
        for board in BOARDS.values():
            if (cls.__module__, cls.__name__) == (board.platform_module, board.platform_class):
                return board
    return None
