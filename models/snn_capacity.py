"""Memory capacity of the SNN core on each FPGA: block RAM / SPRAM blocks, checked before synthesis.

Pure arithmetic (no amaranth): the geometry rules here are the single declaration that both the
weight memory (``rtl.snn_memory.WeightMemory``) and the planner read.

Devices (:data:`DEVICES`; board names map onto them through :data:`BOARD_DEVICES`):

==============  ======  ==========================================  ==========================
device          family  block RAM                                   SPRAM
==============  ======  ==========================================  ==========================
``ecp5-12f``    ecp5    32 DP16KD (18 kbit: 1x16384 .. 36x512)      -
``ecp5-25f``    ecp5    56 DP16KD                                   -
``ecp5-45f``    ecp5    108 DP16KD                                  -
``ecp5-85f``    ecp5    208 DP16KD                                  -
``ice40up5k``   ice40   30 SB_RAM40_4K (4 kbit: 2x2048 .. 16x256)   4 SB_SPRAM256KA (16 x 16384)
==============  ======  ==========================================  ==========================

Block counts (:func:`bram_blocks`) follow yosys's own mapping: a memory of ``width`` bits x
``depth`` words takes ``columns * ceil(depth / d)`` blocks of the aspect ratio (w, d) yosys
prefers (blocks weighed against the read multiplexer of a deep cascade), per-lane write enables
take whole 9-bit byte groups on ECP5, and small ECP5 memories go to distributed RAM (0 blocks).
tests/test_snn_capacity.py compares the counts with yosys's maps.

The planner (:func:`plan`, :func:`check_fits`, :func:`largest_dense`) lists every memory of the
core for a network: weights, event lists, neuron state, PRNG seeds, recurrent spike lists,
threshold ROMs, plus ``extra`` memories a core adds (FIFOs, accumulators), and compares the
totals with the device. It plans memory only (not LUTs).

A convolution layer (``LayerShape.conv``, a :class:`~neuroxide.models.snn_conv.ConvGeometry`) stores
its kernel once: ``C_out / conv_lanes`` chunks of ``C_in/groups * kH * kW`` words of ``conv_lanes``
pairs; its events are event-major (each fanned out through the kernel as it is read), so its column
sums live in ``conv_lanes`` block-RAM accumulator banks (``accumulators``: ``n_out / conv_lanes``
words of the exc and inh sums, ``2 * conv_accumulator_bits`` bits each, read-modify-write), and
its event list holds each event decoded (``conv_event_fields``: channel, position, taps).

Weight formats (:data:`WEIGHT_FORMATS`, :func:`weight_lane_bits`): ``pair`` stores each synapse's
differential pair ``w_exc | w_inh << wb`` (``2 * wb`` bits a lane); ``signed`` stores its signed level
``w = w_exc - w_inh`` in ``wb + 1`` bits (sign and magnitude: bits ``[0, wb)`` ``|w|``, bit ``wb`` set
for ``w < 0``), which carries the same information wherever ``min(w_exc, w_inh) = 0`` at every synapse
(:func:`check_signed_weights`); the weight memory decodes it back to the pair on read
(``rtl.snn_memory.WeightMemory``). At 8-bit weights a lane is 9 bits instead of 16: one 9-bit byte
group of a DP16KD instead of two.

SPRAM weight words (:func:`spram_geometry`): lane k of a word (its ``w_exc | w_inh << wb`` pair) sits
at bit ``k * spram_lane_bits(wb)``, the pair padded to whole nibbles so that a bus write of one lane
is one SPRAM nibble-mask write (``MASKWREN``) and needs no read-modify-write; the word spans
``ceil(lanes * lane_bits / 16)`` SPRAMs side by side (at most 64 bits: ``lanes <=
64 // lane_bits``) and ``ceil(depth / 16384)`` rows of them, at most 4 blocks in all.
"""

from dataclasses import dataclass, field

import numpy as np

from neuroxide.errors import ParameterError

from .snn_conv import conv_accumulator_bits, conv_event_fields, conv_lanes, conv_weight_rows

__all__ = ["Device", "DEVICES", "BOARD_DEVICES", "PART_DEVICES", "device_of_part", "weight_kinds", "get_device", "BLOCK_COST", "LUT_BLOCK_COST", "bram_granule",
           "SPRAM_BITS", "SPRAM_DEPTH", "bram_configs", "bram_blocks", "spram_lane_bits", "spram_max_lanes",
           "spram_geometry",
           "LayerShape", "layer_shape", "MemoryUse", "Plan", "memory_needs", "plan", "check_fits",
           "largest_dense", "row_index", "WEIGHT_KINDS", "WEIGHT_BANK_DEPTH", "weight_banks",
           "bram_read_latency", "weight_bram_blocks", "WEIGHT_FORMATS", "weight_lane_bits",
           "signed_weight_violation", "check_signed_weights", "check_weight_format"]

SPRAM_BITS = 16         # SB_SPRAM256KA data width
WEIGHT_BANK_DEPTH = 1024  # words per bank of a deep block-RAM weight memory (18 x 1024 on a DP16KD)
SPRAM_DEPTH = 16384     # SB_SPRAM256KA words
WEIGHT_KINDS = ("bram", "spram")
WEIGHT_FORMATS = ("pair", "signed")  # a lane stores (w_exc, w_inh) | the signed level w_exc - w_inh

# (width, depth) of one block in each aspect ratio; ECP5's 36-bit mode is the pseudo-dual-port one
# (one read and one write port), which is how every memory of the core is used
_BRAM_CONFIGS = {
    "ecp5": ((1, 16384), (2, 8192), (4, 4096), (9, 2048), (18, 1024), (36, 512)),
    "ice40": ((2, 2048), (4, 1024), (8, 512), (16, 256)),
}
# yosys's choices, fitted to its maps (tests/test_snn_capacity.py): a block RAM weighs BLOCK_COST
# read-multiplexer bits when yosys picks an aspect ratio, LUT_BLOCK_COST against distributed RAM
BLOCK_COST = 256
LUT_BLOCK_COST = 128


@dataclass(frozen=True)
class Device:
    """Memory facts of one FPGA: ``bram`` blocks (``bram_cell``), ``spram`` blocks, LUT-class cells."""

    name: str
    family: str
    bram: int
    bram_cell: str
    spram: int = 0
    luts: int = 0


DEVICES = {
    "ecp5-12f": Device("ecp5-12f", "ecp5", 32, "DP16KD", 0, 12_096),
    "ecp5-25f": Device("ecp5-25f", "ecp5", 56, "DP16KD", 0, 24_288),
    "ecp5-45f": Device("ecp5-45f", "ecp5", 108, "DP16KD", 0, 43_848),
    "ecp5-85f": Device("ecp5-85f", "ecp5", 208, "DP16KD", 0, 83_640),
    "ice40up5k": Device("ice40up5k", "ice40", 30, "SB_RAM40_4K", 4, 5_280),
}
BOARD_DEVICES = {"ulx3s-85f": "ecp5-85f", "icebreaker": "ice40up5k"}
# the part names of amaranth-boards (boards.platforms.Board.device) the planner knows
PART_DEVICES = {"LFE5U-12F": "ecp5-12f", "LFE5U-25F": "ecp5-25f", "LFE5U-45F": "ecp5-45f", "LFE5U-85F": "ecp5-85f",
                "LFE5UM-25F": "ecp5-25f", "LFE5UM-45F": "ecp5-45f", "LFE5UM-85F": "ecp5-85f",
                "LFE5UM5G-25F": "ecp5-25f", "LFE5UM5G-45F": "ecp5-45f", "LFE5UM5G-85F": "ecp5-85f",
                "iCE40UP5K": "ice40up5k"}


def device_of_part(part):
    """The :class:`Device` of an FPGA part name (``LFE5U-85F``, ``iCE40UP5K``), None when unknown."""
    key = PART_DEVICES.get(part)
    return DEVICES[key] if key else None


def weight_kinds(network, lanes, board=None, weight_format="pair"):
    """Weight memory kind per layer of ``network`` at ``lanes`` on ``board`` (device or board name,
    None: no board): on a device with SPRAM, ``spram`` for the layers with the most weight bits
    first while SPRAM blocks are left (each layer its own blocks: the core's layers read at the same
    time), ``bram`` for the rest; ``bram`` everywhere else. The SNN core builds what this says."""
    shapes = [layer_shape(layer) for layer in (network.layers if hasattr(network, "layers") else network)]
    kinds = ["bram"] * len(shapes)
    if board is None:
        return kinds
    left = get_device(board).spram
    depth = [_weight_words(s, lanes, False) for s in shapes]
    for k in sorted(range(len(kinds)), key=lambda k: -depth[k] * shapes[k].weight_bits):
        if left == 0:
            break
        try:
            cols, rows = spram_geometry(_word_lanes(shapes[k], lanes), shapes[k].weight_bits, depth[k], spram=left,
                                        weight_format=weight_format)
        except ParameterError:
            continue
        kinds[k], left = "spram", left - cols * rows
    return kinds


def get_device(board):
    """The :class:`Device` of a device or board name (``ecp5-85f``, ``ulx3s-85f``, ``icebreaker`` ...)."""
    if isinstance(board, Device):
        return board
    key = BOARD_DEVICES.get(board, board)
    if key not in DEVICES:
        raise ParameterError("board", board, " | ".join([*DEVICES, *BOARD_DEVICES]))
    return DEVICES[key]


def bram_configs(family):
    """``(width, depth)`` aspect ratios of one block RAM of ``family``."""
    return _BRAM_CONFIGS[family]


def _lut_ram_cost(width, depth, family):
    """Cost of the memory in ECP5 distributed RAM (TRELLIS_DPR16X4, 16 x 4 bits: 2 per cell plus
    its read multiplexer), in the units of :data:`LUT_BLOCK_COST`; None on iCE40 (no distributed RAM)."""
    if family != "ecp5":
        return None
    return 2 * -(-width // 4) * -(-depth // 16) + width * (-(-depth // 16) - 1)


def check_weight_format(weight_format):
    """``weight_format`` if it is one of :data:`WEIGHT_FORMATS`, else ParameterError."""
    if weight_format not in WEIGHT_FORMATS:
        raise ParameterError("weight_format", weight_format, " | ".join(WEIGHT_FORMATS))
    return weight_format


def weight_lane_bits(weight_bits, weight_format="pair"):
    """Bits one synapse (a lane of a weight word) takes in block RAM: ``2 * weight_bits`` for the
    ``pair`` format (w_exc, w_inh), ``weight_bits + 1`` for ``signed`` (sign and magnitude)."""
    check_weight_format(weight_format)
    return 2 * weight_bits if weight_format == "pair" else weight_bits + 1


def bram_granule(weight_bits, weight_format="pair"):
    """Write-enable granule of a block-RAM weight word: the lane (:func:`weight_lane_bits`) when it
    fits one 9-bit byte group of a DP16KD, else each weight of the pair (``weight_bits``; both
    enabled by a lane write), so that no lane needs a block of its own. A ``signed`` lane
    (``weight_bits + 1 <= 9``) always fits one group."""
    lane = weight_lane_bits(weight_bits, weight_format)
    return lane if lane <= 9 else weight_bits


def _block_columns(width, granule, w, family):
    """Blocks side by side for ``width`` bits in a block of width ``w`` when every ``granule`` bits
    has its own write enable: ECP5 has one enable per 9-bit byte in the 18- and 36-bit modes (one
    for the whole word below), iCE40 a per-bit mask in the 16-bit mode only."""
    if not granule or granule >= width:
        return -(-width // w)
    lanes = -(-width // granule)
    if family == "ice40" and w == 16:
        return -(-width // w)             # a per-bit write mask
    groups, gw = (w // 9, 9) if family == "ecp5" and w >= 9 else (1, w)
    if granule <= gw:
        return -(-lanes // groups)
    return lanes * -(-granule // w)   # yosys gives a wider write group a block column of its own


def bram_blocks(width, depth, family, granule=None):
    """Block RAMs of ``family`` for a ``width`` x ``depth`` memory (one read, one write port) whose
    writes have one enable per ``granule`` bits (None: whole words): 0 where it goes to LUTs, else
    the blocks of the aspect ratio yosys picks: ``columns * ceil(depth / d)``, the columns set by
    the write enables (:func:`_block_columns`), choosing the lowest ``blocks * BLOCK_COST + width *
    (rows - 1)`` (yosys weighs the read multiplexer of a deep cascade against the blocks it saves;
    BLOCK_COST fitted to yosys 0.5x: 36 x 512 for 1536 words, 18 x 1024 for 12,544 and 25,088)."""
    if width <= 0 or depth <= 0:
        return 0
    best = None
    for w, d in _BRAM_CONFIGS[family]:
        rows = -(-depth // d)
        blocks = _block_columns(width, granule, w, family) * rows
        cost = blocks * BLOCK_COST + width * (rows - 1)
        if best is None or cost < best[0]:
            best = (cost, blocks)
    lut = _lut_ram_cost(width, depth, family)
    if lut is not None and lut <= LUT_BLOCK_COST * best[1]:
        return 0
    return best[1]


def weight_banks(depth):
    """Banks of a block-RAM weight memory of ``depth`` words (:data:`WEIGHT_BANK_DEPTH` words each)."""
    return max(1, -(-depth // WEIGHT_BANK_DEPTH))


def bram_read_latency(banks):
    """Read latency of a registered block-RAM weight memory of ``banks`` banks: 2 for one bank (RAM,
    output register); else RAM, bank register, and one registered level per 4-input OR."""
    if banks <= 1:
        return 2
    levels, n = 0, banks
    while n > 1:
        n, levels = -(-n // 4), levels + 1
    return 2 + levels


def weight_bram_blocks(width, depth, family, granule):
    """Blocks of a registered block-RAM weight memory: its banks, each mapped on its own."""
    full, rest = divmod(depth, WEIGHT_BANK_DEPTH)
    return full * bram_blocks(width, WEIGHT_BANK_DEPTH, family, granule) + bram_blocks(width, rest, family, granule)


def spram_lane_bits(weight_bits, weight_format="pair"):
    """Bits one lane takes in an SPRAM word: :func:`weight_lane_bits` (the pair's ``2 * weight_bits``
    or the signed level's ``weight_bits + 1``) rounded up to whole nibbles (the SPRAM's write mask),
    so that a one-lane write is a masked write."""
    return 4 * -(-weight_lane_bits(weight_bits, weight_format) // 4)


def spram_max_lanes(weight_bits, spram=4, weight_format="pair"):
    """Most lanes per word the ``spram`` SPRAMs side by side hold at ``weight_bits``."""
    return spram * SPRAM_BITS // spram_lane_bits(weight_bits, weight_format)


def spram_geometry(lanes, weight_bits, depth, spram=4, weight_format="pair"):
    """``(cols, rows)`` of SPRAM blocks for ``depth`` words of ``lanes`` lanes: ``cols`` side by side
    make a word, ``rows`` of them stack in depth. ParameterError when more than ``spram`` are needed."""
    lane = spram_lane_bits(weight_bits, weight_format)
    cols = -(-lanes * lane // SPRAM_BITS)
    if cols > spram:
        raise ParameterError("lanes", lanes, f"1..{spram_max_lanes(weight_bits, spram, weight_format)}",
                             f"a word of {lanes} lanes x {lane} bits (weight_bits={weight_bits}) is wider than "
                             f"{spram} SPRAMs x {SPRAM_BITS} bits")
    rows = max(1, -(-depth // SPRAM_DEPTH))
    if cols * rows > spram:
        raise ParameterError("depth", depth, f"1..{(spram // cols) * SPRAM_DEPTH}",
                             f"{lanes} lanes x {lane} bits need {cols} SPRAMs per {SPRAM_DEPTH} words; "
                             f"{spram} SPRAMs in all")
    return cols, rows


def _bits(n):
    return max(1, int(n).bit_length())


@dataclass(frozen=True)
class LayerShape:
    """What the planner needs of a layer: sizes, weight width, neuron state bits, non-zero rows."""

    n_in: int
    n_out: int
    weight_bits: int = 4
    recurrent: bool = False
    state_bits: int = 0
    nonzero_rows: int | None = None   # rows with any non-zero weight (None: all)
    threshold_bits: int = 0           # per-neuron threshold ROM word (0: none)
    conv: object = None               # a models.snn_conv.ConvGeometry: a weight-shared convolution
    delay_slots: int = 0              # delay line: slots (max delay + 1; 0: none)
    delayed_sources: int = 0          # input rows with a delay > 0 (entries per slot)
    rng_apart: bool = False           # noise-free neurons: the 32-bit PRNG state in a memory of its own

    @property
    def n_rows(self):
        return self.n_in + (self.n_out if self.recurrent else 0)

    @property
    def stored_weights(self):
        """Weight pairs the core stores: the kernel for a conv layer, every synapse for a dense one."""
        if self.conv is not None:
            return int(np.prod(self.conv.kernel_shape))
        return self.n_rows * self.n_out


def _default_state_bits():
    from neuroxide.models.lif import LIFParams
    return LIFParams().state_layout.bits


def _layer_rows(layer):
    """``(n_rows, 2 * n_out)`` levels of a CoreLayer: (w_exc | w_inh) of each row, recurrent rows last."""
    import numpy as np
    rows = [np.concatenate([layer.w_exc, layer.w_inh], axis=1)]
    if layer.recurrent:
        rows.append(np.concatenate([layer.w_rec_exc, layer.w_rec_inh], axis=1))
    return np.concatenate(rows)


def _synapse_matrices(layer):
    """``(w_exc, w_inh)`` of a CoreLayer as the SYNAPSE register addresses them, ``(rows, cols)``:
    a dense layer's rows (recurrent rows ``n_in + m`` last) x output neurons; a conv layer's kernel
    rows ``(ci * kH + ky) * kW + kx`` x output channels."""
    w_exc, w_inh = np.asarray(layer.w_exc), np.asarray(layer.w_inh)
    if getattr(layer, "conv", None) is not None:
        return w_exc.reshape(layer.conv.out_channels, -1).T, w_inh.reshape(layer.conv.out_channels, -1).T
    if getattr(layer, "recurrent", False):
        return np.vstack([w_exc, layer.w_rec_exc]), np.vstack([w_inh, layer.w_rec_inh])
    return w_exc, w_inh


def signed_weight_violation(layer):
    """The first synapse of ``layer`` (a CoreLayer) that the ``signed`` weight format cannot store:
    ``(row, col, w_exc, w_inh)`` with both levels non-zero (row, col as the SYNAPSE register
    addresses it: :func:`_synapse_matrices`), or None when ``min(w_exc, w_inh) = 0`` everywhere."""
    w_exc, w_inh = _synapse_matrices(layer)
    bad = np.argwhere((w_exc != 0) & (w_inh != 0))
    if not len(bad):
        return None
    i, j = (int(x) for x in bad[0])
    return i, j, int(w_exc[i, j]), int(w_inh[i, j])


def check_signed_weights(network):
    """ParameterError (field ``layers[k].weights``, the synapse (row, col) and both levels) for the
    first layer of ``network`` (a CoreNetwork or a list of CoreLayer) with a synapse whose w_exc and
    w_inh are both non-zero: the ``signed`` weight format stores only ``w_exc - w_inh``, so the
    core would no longer equal the model, which sums w_exc and w_inh apart. Returns ``network``."""
    layers = network.layers if hasattr(network, "layers") else network
    for k, layer in enumerate(layers):
        bad = signed_weight_violation(layer)
        if bad is not None:
            i, j, e, h = bad
            where = "kernel row" if getattr(layer, "conv", None) is not None else "row"
            what = "output channel" if getattr(layer, "conv", None) is not None else "neuron"
            raise ParameterError(
                f"layers[{k}].weights", f"synapse ({where} {i}, {what} {j}): w_exc={e}, w_inh={h}",
                "min(w_exc, w_inh) = 0 at every synapse (weight_format='signed'), or weight_format='pair'",
                "the signed weight format stores one level w_exc - w_inh per synapse; the model sums "
                "w_exc and w_inh apart")
    return network


def row_index(layer):
    """The row-index table of a layer with its all-zero rows skipped: int64 ``(n_rows,)``, row i's
    compacted word row (weight word ``g * n_kept + row_index[i]``), or -1 for a row whose weights
    are all zero (its event adds nothing and is dropped). Rows keep their order."""
    import numpy as np
    keep = _layer_rows(layer).any(axis=1)
    out = np.full(keep.size, -1, dtype=np.int64)
    out[keep] = np.arange(int(keep.sum()))
    return out


def layer_shape(layer):
    """The :class:`LayerShape` of a ``models.snn.CoreLayer`` (or a LayerShape, returned as is)."""
    if isinstance(layer, LayerShape):
        return layer
    conv = getattr(layer, "conv", None)
    return LayerShape(layer.n_in, layer.n_out, layer.weight_bits, layer.recurrent, layer.state_layout.bits,
                      int((row_index(layer) >= 0).sum()) if conv is None else None,
                      layer.params.v_bits if layer.v_th_neuron is not None else 0, conv,
                      *((layer.max_delay + 1, int((layer.delay > 0).sum())) if getattr(layer, "delay", None) is not None
                        else (0, 0)), layer.params.noise_bits == 0)


@dataclass(frozen=True)
class MemoryUse:
    """One memory: ``kind`` ``bram`` / ``spram`` / ``lut``; ``blocks`` of that kind."""

    name: str
    width: int
    depth: int
    kind: str
    blocks: int

    @property
    def bits(self):
        return self.width * self.depth


def _word_lanes(shape, lanes):
    """Weight pairs per word: ``lanes``, or ``conv_lanes`` for a conv layer."""
    return lanes if shape.conv is None else conv_lanes(shape.conv, lanes)


def _weight_words(shape, lanes, skip_zero_rows):
    if shape.conv is not None:
        return (shape.conv.out_channels // conv_lanes(shape.conv, lanes)) * conv_weight_rows(shape.conv)
    rows = shape.n_rows if not skip_zero_rows or shape.nonzero_rows is None else shape.nonzero_rows
    return -(-shape.n_out // lanes) * rows


def _neuron_needs(k, s, neurons_per_clock):
    """A layer's neuron state, seed and threshold memories: one each of ``n_out`` words, or with
    ``neurons_per_clock`` P > 1 the core's P banks of ``ceil(n_out / P)`` words (``state[q]`` ..)."""
    P = neurons_per_clock
    state_bits = s.state_bits or _default_state_bits()
    # a noise-free layer keeps its PRNG state apart from the state word (rtl.snn_core, rng_apart)
    mems = ([("state", state_bits - 32), ("seeds", 32), ("rng", 32)] if s.rng_apart else
            [("state", state_bits), ("seeds", 32)])
    if s.threshold_bits:
        mems.append(("thresholds", s.threshold_bits))
    if P == 1:
        return [(f"layers[{k}].{name}", width, s.n_out, "bram", None) for name, width in mems]
    words = -(-s.n_out // P)
    return [(f"layers[{k}].{name}[{q}]", width, words, "bram", None) for name, width in mems for q in range(P)]


def memory_needs(network, lanes, weight_kind="bram", skip_zero_rows=False, weight_format="pair", neurons_per_clock=1):
    """``[(name, width, depth, kind, granule)]`` of every memory of the core for ``network`` at ``lanes``.

    Per layer: ``weights`` (``ceil(n_out / lanes) * n_rows`` words of ``lanes`` pairs, in block RAM or
    SPRAM: ``weight_kind`` is one kind for every layer or a list of kinds, one per layer, as
    :func:`weight_kinds` gives), ``row_index`` (with ``skip_zero_rows``: a table of ``n_rows`` entries
    mapping a row to its compacted word row, or "none"), ``events`` (the event list), ``state``
    (neuron state), ``seeds`` (PRNG seeds for the reset), ``rec_events`` (recurrent layers),
    ``thresholds`` (per-neuron thresholds), ``delay_line`` and ``delay_rom`` (a layer with input
    delays: ``S = max delay + 1`` slots of ``2**bits(n_delayed - 1)`` source indices, and a ROM of
    each input row's delay; a conv layer's line holds decoded entries); a conv layer's own list (:func:`_conv_needs`) has its kernel,
    decoded events and ``accumulators[q]`` banks instead. ``weight_format``: the weight lanes'
    format (:data:`WEIGHT_FORMATS`: the pair in ``2 * weight_bits`` bits or the signed level in
    ``weight_bits + 1``). ``neurons_per_clock``: the core's neuron lanes P; state, seeds and
    thresholds are banked P ways (``state[q]``: ``ceil(n_out / P)`` words each; P = 1: one memory)."""
    check_weight_format(weight_format)
    if isinstance(neurons_per_clock, bool) or not isinstance(neurons_per_clock, int) or neurons_per_clock < 1:
        raise ParameterError("neurons_per_clock", neurons_per_clock, "1, 2, 4 ... 32")
    shapes = [layer_shape(layer) for layer in (network.layers if hasattr(network, "layers") else network)]
    kinds = [weight_kind] * len(shapes) if isinstance(weight_kind, str) else list(weight_kind)
    needs = []
    for k, (s, kind) in enumerate(zip(shapes, kinds)):
        if s.conv is not None:
            needs += _conv_needs(k, s, lanes, kind, weight_format, neurons_per_clock)
            continue
        words = _weight_words(s, lanes, skip_zero_rows)
        if kind == "spram":
            needs.append((f"layers[{k}].weights", lanes * spram_lane_bits(s.weight_bits, weight_format), words,
                          "spram", s.weight_bits))
        else:
            needs.append((f"layers[{k}].weights", weight_lane_bits(s.weight_bits, weight_format) * lanes, words,
                          "bram", bram_granule(s.weight_bits, weight_format)))
        if skip_zero_rows and s.nonzero_rows is not None and s.nonzero_rows < s.n_rows:
            needs.append((f"layers[{k}].row_index", _bits(s.nonzero_rows), s.n_rows, "bram", None))
        needs.append((f"layers[{k}].events", _bits(s.n_in - 1), s.n_in, "bram", None))
        neuron = _neuron_needs(k, s, neurons_per_clock)
        needs += [n for n in neuron if ".thresholds" not in n[0]]
        if s.recurrent:
            needs.append((f"layers[{k}].rec_events", _bits(s.n_out - 1), 2 * s.n_out, "bram", None))
        needs += [n for n in neuron if ".thresholds" in n[0]]
        if s.delay_slots:   # the delay line: per slot a list of source indices, and each row's delay
            entries = 1 << _bits(s.delayed_sources - 1)
            needs += [(f"layers[{k}].delay_line", _bits(s.n_in - 1), s.delay_slots * entries, "bram", None),
                      (f"layers[{k}].delay_rom", _bits(s.delay_slots - 1), s.n_in, "bram", None)]
    return needs


def _conv_needs(k, s, lanes, kind, weight_format="pair", neurons_per_clock=1):
    """The memories of conv layer ``k`` (module docstring): kernel, decoded event list, accumulator
    banks, neuron state, seeds, thresholds."""
    g = s.conv
    lc = conv_lanes(g, lanes)
    words = (g.out_channels // lc) * conv_weight_rows(g)
    if kind == "spram":
        needs = [(f"layers[{k}].weights", lc * spram_lane_bits(s.weight_bits, weight_format), words, "spram",
                  s.weight_bits)]
    else:
        needs = [(f"layers[{k}].weights", weight_lane_bits(s.weight_bits, weight_format) * lc, words, "bram",
                  bram_granule(s.weight_bits, weight_format))]
    needs.append((f"layers[{k}].events", sum(conv_event_fields(g, lanes).values()), s.n_in, "bram", None))
    acc = 2 * conv_accumulator_bits(g, s.weight_bits)
    needs += [(f"layers[{k}].accumulators[{q}]", acc, s.n_out // lc, "bram", None) for q in range(lc)]
    needs += _neuron_needs(k, s, neurons_per_clock)
    if s.delay_slots:   # the delay line holds decoded entries, like the event list
        entries = 1 << _bits(s.delayed_sources - 1)
        needs += [(f"layers[{k}].delay_line", sum(conv_event_fields(g, lanes).values()), s.delay_slots * entries,
                   "bram", None),
                  (f"layers[{k}].delay_rom", _bits(s.delay_slots - 1), s.n_in, "bram", None)]
    return needs


@dataclass(frozen=True)
class Plan:
    """Memory plan of a network on a device: every memory and the totals against what is there."""

    device: Device
    lanes: int
    weight_kind: str
    memories: tuple
    synapses: int
    weight_format: str = "pair"
    bram_needed: int = field(init=False)
    spram_needed: int = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "bram_needed", sum(m.blocks for m in self.memories if m.kind == "bram"))
        object.__setattr__(self, "spram_needed", sum(m.blocks for m in self.memories if m.kind == "spram"))

    @property
    def fits(self):
        return self.bram_needed <= self.device.bram and self.spram_needed <= self.device.spram

    def as_dict(self):
        return {"device": self.device.name, "lanes": self.lanes, "weight_kind": self.weight_kind,
                **({"weight_format": self.weight_format} if self.weight_format != "pair" else {}),
                "synapses": self.synapses,
                "bram": {"needed": self.bram_needed, "available": self.device.bram, "cell": self.device.bram_cell},
                "spram": {"needed": self.spram_needed, "available": self.device.spram},
                "memories": [{"name": m.name, "width": m.width, "depth": m.depth, "kind": m.kind,
                              "blocks": m.blocks} for m in self.memories]}


def _check_lanes(lanes):
    if isinstance(lanes, bool) or not isinstance(lanes, int) or not 1 <= lanes <= 128:
        raise ParameterError("lanes", lanes, "an integer in 1..128")


def plan(network, lanes, board, weight_kind=None, skip_zero_rows=False, extra=(), weight_format="pair",
         neurons_per_clock=1):
    """The :class:`Plan` of ``network`` (a CoreNetwork, or a list of CoreLayer / LayerShape) at
    ``lanes`` on ``board`` (device or board name). ``weight_kind``: ``bram`` or ``spram`` (default:
    ``spram`` where the device has SPRAM). ``extra``: more ``(name, width, depth)`` block-RAM memories
    of the core (FIFOs, accumulators). ``weight_format``: ``pair`` (w_exc, w_inh: ``2 * weight_bits``
    bits a synapse) or ``signed`` (``weight_bits + 1``; the network is not checked here:
    :func:`check_signed_weights`). ``neurons_per_clock``: the core's neuron lanes (its state, seed
    and threshold memories banked that many ways; 1: one each). Raises ParameterError only for an
    impossible geometry (SPRAM word too wide or too deep); :func:`check_fits` also refuses a plan that does not fit."""
    dev = get_device(board)
    _check_lanes(lanes)
    check_weight_format(weight_format)
    shapes = [layer_shape(layer) for layer in (network.layers if hasattr(network, "layers") else network)]
    if weight_kind is None:
        weight_kind = weight_kinds(shapes, lanes, dev, weight_format)
    for kind in ([weight_kind] if isinstance(weight_kind, str) else weight_kind):
        if kind not in WEIGHT_KINDS:
            raise ParameterError("weight_kind", kind, " | ".join(WEIGHT_KINDS))
        if kind == "spram" and not dev.spram:
            raise ParameterError("weight_kind", kind, "bram", f"{dev.name} has no SPRAM")
    mems = []
    for name, width, depth, kind, granule in memory_needs(shapes, lanes, weight_kind, skip_zero_rows, weight_format,
                                                         neurons_per_clock) + \
            [(n, w, d, "bram", None) for n, w, d in extra]:
        if kind == "spram":
            wb = granule  # the layer's weight bits
            word_lanes = width // spram_lane_bits(wb, weight_format)   # lanes, or a conv layer's conv_lanes
            try:
                cols, rows = spram_geometry(word_lanes, wb, depth, dev.spram, weight_format)
            except ParameterError as err:
                if err.field != "depth":
                    raise
                cols, rows = -(-width // SPRAM_BITS), -(-depth // SPRAM_DEPTH)
            mems.append(MemoryUse(name, width, depth, "spram", cols * rows))
        else:
            if name.endswith("weights"):
                blocks = weight_bram_blocks(width, depth, dev.family, granule)
            else:
                blocks = bram_blocks(width, depth, dev.family, granule)
            mems.append(MemoryUse(name, width, depth, "bram" if blocks else "lut", blocks))
    synapses = sum(s.stored_weights for s in shapes)
    kind = weight_kind if isinstance(weight_kind, str) else "+".join(sorted(set(weight_kind)))
    return Plan(dev, lanes, kind, tuple(mems), synapses, weight_format)


def _describe(shapes):
    sizes = [shapes[0].n_in] + [s.n_out for s in shapes]
    return "-".join(map(str, sizes)) + f" ({'/'.join(sorted({str(s.weight_bits) for s in shapes}))}-bit weights)"


def check_fits(network, lanes, board, weight_kind=None, skip_zero_rows=False, extra=(), weight_format="pair",
               neurons_per_clock=1):
    """:func:`plan`, raising ParameterError (field ``network``, needed vs available and the biggest
    memories) when the core's memories do not fit ``board``; returns the Plan when they do."""
    p = plan(network, lanes, board, weight_kind, skip_zero_rows, extra, weight_format, neurons_per_clock)
    if p.fits:
        return p
    shapes = [layer_shape(layer) for layer in (network.layers if hasattr(network, "layers") else network)]
    dev = p.device
    if p.spram_needed > dev.spram:
        spram = ", ".join(f"{m.name} {m.blocks} ({m.depth} words x {m.width} bits)" for m in p.memories
                          if m.kind == "spram")
        raise ParameterError(
            "network", _describe(shapes),
            f"at most {dev.spram} SPRAM blocks ({dev.spram * SPRAM_DEPTH} words of {lanes} lanes) on {dev.name}",
            f"weights need {p.spram_needed} SPRAM blocks at lanes {lanes} ({spram}), available {dev.spram}")
    top = sorted((m for m in p.memories if m.kind == "bram"), key=lambda m: -m.blocks)[:3]
    parts = ", ".join(f"{m.name} {m.blocks} ({m.width} x {m.depth})" for m in top)
    raise ParameterError(
        "network", _describe(shapes),
        f"at most {dev.bram} {dev.bram_cell} block RAMs on {dev.name}",
        f"needs {p.bram_needed} {dev.bram_cell} at lanes {lanes}, available {dev.bram}; largest: {parts}")


def _largest(fits, lo, hi):
    """Largest n in lo..hi with fits(n) (fits monotone), or 0 when fits(lo) is false."""
    if not fits(lo):
        return 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return lo


def largest_dense(board, weight_bits, lanes, weight_kind=None, n_in=784, n_out=10, weight_format="pair"):
    """The largest dense networks ``board`` holds at ``weight_bits`` and ``lanes`` (memory only):

    ``{"square": n}`` one n x n layer; ``"hidden": H`` of an ``n_in``-H-``n_out`` network (784-H-10
    by default); ``"synapses"`` of each; ``"weight_kind"``."""
    dev = get_device(board)
    kind = weight_kind or ("spram" if dev.spram else "bram")

    def fits(shapes):
        try:
            return plan(shapes, lanes, dev, weight_kind, weight_format=weight_format).fits
        except ParameterError:
            return False

    square = _largest(lambda n: fits([LayerShape(n, n, weight_bits)]), 1, 1 << 16)
    hidden = _largest(lambda h: fits([LayerShape(n_in, h, weight_bits), LayerShape(h, n_out, weight_bits)]),
                      1, 1 << 16)
    return {"device": dev.name, "weight_bits": weight_bits, "lanes": lanes, "weight_kind": kind,
            **({"weight_format": weight_format} if weight_format != "pair" else {}),
            "square": square, "square_synapses": square * square,
            "hidden": hidden, "network": f"{n_in}-{hidden}-{n_out}",
            "hidden_synapses": n_in * hidden + hidden * n_out}

