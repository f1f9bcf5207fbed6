"""Register maps (models/registers.py): the declaration, its RTL decoder, and the docs tables made from it.

The docs hold each core's register table between marker comments; this test checks that they hold
exactly what the declaration renders, and after an intended change of a map rewrites them with::

    .venv/bin/python tests/test_registers.py --write
"""

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from amaranth.hdl import Module, Signal
from amaranth.sim import Simulator

from neuroxide.errors import ParameterError
from neuroxide.models.onn_registers import onn_register_map
from neuroxide.models.plastic_registers import plastic_register_map
from neuroxide.models.plasticity import PlasticLayer
from neuroxide.models.register_file import register_file_map
from neuroxide.models.registers import Field, Register, RegisterMap
from neuroxide.models.snn_registers import MAX_LAYERS, snn_register_map
from neuroxide.rtl.hostbus import RegisterDecoder, pack

DOCS = Path(__file__).resolve().parent.parent / "docs"
# doc file -> the map whose table it shows (the rendering does not depend on the core's sizes)
DOC_TABLES = {
    "snn_core.md": snn_register_map(2),
    "onn.md": onn_register_map(16, 256),
    "hostlink.md": register_file_map(256),
    "plasticity.md": plastic_register_map(PlasticLayer(16, 4)),
}
BEGIN = "<!-- register-map {name}: generated from the map's declaration; rewrite with `.venv/bin/python tests/test_registers.py --write` -->\n"
END = "<!-- end register-map -->\n"


def _marked(name):
    return re.compile(re.escape(BEGIN.format(name=name)) + r"(.*?)" + re.escape(END), re.S)


def rendered(text, registers):
    """``text`` with the table between ``registers``' markers replaced by the rendered one."""
    pattern = _marked(registers.name)
    if not pattern.search(text):
        raise AssertionError(f"no register-map markers for {registers.name!r}")
    return pattern.sub(lambda _: BEGIN.format(name=registers.name) + registers.markdown_table() + END, text)


@pytest.mark.parametrize("doc", sorted(DOC_TABLES))
def test_docs_hold_the_rendered_register_table(doc):
    text = (DOCS / doc).read_text()
    assert rendered(text, DOC_TABLES[doc]) == text, f"docs/{doc}: run `python tests/test_registers.py --write`"


def test_a_changed_declaration_changes_the_table():
    registers = snn_register_map(2)
    text = (DOCS / "snn_core.md").read_text()
    changed = RegisterMap("snn-core", [*registers, Register("EXTRA", 0x40, "r", doc="new")])
    assert rendered(text, changed) != text


# -- the declaration ----------------------------------------------------------------------------
def test_addresses_fields_and_lookup():
    regs = snn_register_map(3)
    assert [regs.address(n) for n in ("ID", "STATUS", "OUT_LEVEL")] == [0, 1, 0x0C]
    assert regs.address("SHAPE", 2) == 0x22
    assert regs.address("SYNAPSE", layer=1, i=3, j=5) == (2 << 20) | (3 << 10) | 5
    assert regs.find(0x200C05) == (regs["SYNAPSE"], (1 << 20) | (3 << 10) | 5)
    assert regs.find(0x0D) is None and regs.find(0x23) is None and regs.find(0x400000) is None
    assert regs.encode("EVENT", end_step=1) == 1 << 30 and regs.encode("EVENT", index=7, reset=1) == 7 | 1 << 31
    assert regs.decode("OUT_EVENT", 1 << 31 | 3 << 27 | 5 << 12 | 9) == {"neuron": 9, "step": 5, "layer": 3, "valid": 1}
    assert regs["STATUS"].reset == 0b10  # input FIFO empty after reset
    onn = onn_register_map(8, 64)
    assert onn.encode("CTRL", start=1) == 1 and onn.encode("CTRL", clear=1) == 2
    assert onn.decode("CTRL", 1) == {"busy": 1} and onn.decode("CTRL", 3, "w") == {"start": 1, "clear": 1}
    assert onn.decode("ENERGY", 0xFFFF_FFFE) == {"energy": -2}
    words = regs["SYNAPSE"].encode(w_exc=np.array([[1, 2]]), w_inh=np.array([[3, 0]]))
    assert words.tolist() == [[0x301, 0x2]]


@pytest.mark.parametrize("build, field", [
    (lambda: snn_register_map(0), "layers"),
    (lambda: snn_register_map(MAX_LAYERS + 1), "layers"),
    (lambda: snn_register_map(2).address("SHAPE", 2), "SHAPE index"),
    (lambda: snn_register_map(2).address("SYNAPSE", layer=0, i=1024), "SYNAPSE.i"),
    (lambda: snn_register_map(2).encode("SHAPE", n_in=1 << 16), "SHAPE.n_in"),
    (lambda: snn_register_map(2).encode("SHAPE", size=1), "SHAPE field"),
    (lambda: snn_register_map(2)["NOPE"], "snn-core register"),
    (lambda: RegisterMap("m", [Register("A", 0, count=4), Register("B", 3)]), "m.B.address"),
    (lambda: RegisterMap("m", [Register("A", 0xFFFFFF, count=2)]), "m.A.address"),
    (lambda: RegisterMap("m", [Register("A", fields=[("x", 20), ("y", 20)])]), "m.A.y"),
    (lambda: Register("A", fields=[("x", 4), Field("y", 2, at=3)]), "A.y"),
    (lambda: Register("A", access="x"), "A.access"),
    (lambda: onn_register_map(1), "n"),
    (lambda: register_file_map(0), "depth"),
])
def test_bad_declarations_and_values_name_the_field(build, field):
    with pytest.raises(ParameterError) as error:
        build()
    assert error.value.field == field


# -- the decoder made from it ---------------------------------------------------------------------
def _decode(regs, handlers_for, addresses):
    """Read every address of ``addresses`` through a decoder of ``regs``; ``handlers_for(m)`` gives
    the read handlers. Returns the values read."""
    m = Module()
    addr, r_data = Signal(24), Signal(32)
    RegisterDecoder(regs, addr).read(m, r_data, handlers_for(m, addr))
    out = []

    async def bench(ctx):
        for a in addresses:
            ctx.set(addr, a)
            out.append(ctx.get(r_data))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    return out


def test_decoder_cases_windows_and_elements():
    regs = RegisterMap("m", [
        Register("ID", 0, "r", reset=0xABC),
        Register("FLAGS", None, "r", fields=[("a", 1), Field("b", 3, at=4)]),
        Register("ARRAY", 0x10, "r", count=3),
        Register("WINDOW", 0x103, "rw", count=5),  # not aligned: several address blocks
        Register("GRID", 0x1000, "r", count=3 << 4, index=[("x", 4), ("y", 2)]),
    ])
    a, b = Signal(), Signal(3)

    def handlers(m, addr):
        m.d.comb += [a.eq(1), b.eq(5)]
        return {"ID": regs["ID"].reset, "FLAGS": pack(regs["FLAGS"], a=a, b=b), "ARRAY": [7, 8, 9],
                "WINDOW": lambda index: index + 100, "GRID": lambda at: at.y * 16 + at.x}

    got = _decode(regs, handlers, [0, 1, 0x10, 0x12, 0x13, 0x102, 0x103, 0x107, 0x108, 0x1000, 0x102F, 0x1030, 5])
    assert got == [0xABC, 0x51, 7, 9, 0, 0, 100, 104, 0, 0, 0x2F, 0, 0]


def test_decoder_refuses_a_register_left_unwired():
    regs = snn_register_map(1)
    with pytest.raises(TypeError, match=r"read handlers missing for \['STATUS'"):
        RegisterDecoder(regs, Signal(24)).read(Module(), Signal(32), {r.name: 0 for r in regs
                                                                       if r.access.readable and r.name != "STATUS"})
    with pytest.raises(TypeError, match=r"given for registers that are not writable.*'ID'"):
        RegisterDecoder(regs, Signal(24)).write(Module(), Signal(32), {"ID": None})


if __name__ == "__main__" and "--write" in sys.argv:
    for doc, registers in DOC_TABLES.items():
        path = DOCS / doc
        text = path.read_text()
        new = rendered(text, registers)
        if new != text:
            path.write_text(new)
            print(f"rewrote the {registers.name} table in docs/{doc}")
