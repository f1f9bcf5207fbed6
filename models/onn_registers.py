"""The ONN core's register map (bus target of ``neuroxide.rtl.onn_core.ONNCore``), declared once.

:func:`onn_register_map` builds it for ``n`` oscillators and a coupling memory of
``coupling_depth`` words; the core's bus decoder (``ONNCore.elaborate``), the host driver
(``neuroxide.boards.onn_host.ONNHost``) and the table in docs/onn.md are derived from it. Every
access acks 4 clocks after ``stb``; memory writes only take effect while the core is idle, and bus
accesses never stall a run.
"""

from neuroxide.errors import ParameterError

from .onn import T_BITS
from .registers import Field, Register, RegisterMap

__all__ = ["onn_register_map", "DEFAULT_LANES", "LANE_CHOICES", "PHASE_BASE", "RNG_BASE", "COUPLING_BASE", "MAX_OSCILLATORS",
           "MAX_COUPLING_WORDS"]

PHASE_BASE = 0x010000
RNG_BASE = 0x020000
COUPLING_BASE = 0x100000
MAX_OSCILLATORS = (1 << 16) - 1  # INFO.n has 16 bits (and the phase window must end below RNG_BASE)
MAX_COUPLING_WORDS = (1 << 24) - COUPLING_BASE
DEFAULT_LANES = 4                   # multiply-accumulate lanes of the core (INFO.lanes_log2)
LANE_CHOICES = (1, 2, 4, 8, 16, 32)  # powers of two: a host word index splits into bank and word by bits


def onn_register_map(n, coupling_depth=MAX_COUPLING_WORDS, entries=0):
    """The register map of an ONN core of ``n`` oscillators whose coupling memory holds
    ``coupling_depth`` words, ``entries`` of them walked per step after reset. A host that does not
    know the core's memory size keeps the default depth: the addresses are the same."""
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_OSCILLATORS:
        raise ParameterError("n", n, f"2..{MAX_OSCILLATORS}")
    return RegisterMap("onn-core", [
        Register("CTRL", 0x00, "rw", fields=[
            Field("start", 1, doc="start a run of STEPS steps", access="w"),
            Field("clear", 1, doc="clear T and ENERGY", access="w"),
            Field("busy", 1, doc="a run is in progress", at=0, access="r")]),
        Register("STEPS", None, "rw", fields=[("steps", 16, 1, "steps a start runs")]),
        Register("T", None, "r", fields=[("t", T_BITS, 0, f"steps done since the last clear (saturates at "
                                                          f"2**{T_BITS} - 1)")]),
        Register("ENERGY", None, "r", fields=[
            Field("energy", 32, doc="Ising energy -1/2 s^T J s of the phases before the last step "
                  "(exact: the core requires sum |J| < 2**31)", signed=True)]),
        Register("ENTRIES", None, "rw", reset=entries, reset_doc="the configured couplings",
                 doc="coupling words walked per step, ceil(ENTRIES / lanes) a bank (sparse: writes of "
                 "1..depth taken; dense: N*Npad, writes ignored)"),
        Register("INFO", None, "r", doc="how the core was built", reset_doc="-", fields=[
            ("n", 16, 0, "oscillators"),
            ("dense", 1, 0, "dense coupling memory"),
            ("lanes_log2", 3, 0, "log2 of the multiply-accumulate lanes"),
            Field("phase_bits", 6, at=20),
            ("weight_bits", 6, 0, "")]),
        Register("PHASE", PHASE_BASE, "rw", count=n, index="i", reset_doc="-",
                 doc="phase of oscillator i (the current bank)"),
        Register("RNG", RNG_BASE, "rw", count=n, index="i", reset_doc="-",
                 doc="xorshift32 state of oscillator i"),
        Register("COUPLING", COUPLING_BASE, "rw", count=coupling_depth, index="e", reset_doc="-",
                 doc="coupling word e = bank e mod lanes of word e div lanes (dense: e = i*Npad + j, "
                 "Npad = N rounded up to lanes, the weight; sparse: {last, col, w}, see rtl/onn_core.py)"),
    ], doc="ONN core")
