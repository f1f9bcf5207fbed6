"""State layouts and the ops layer: the declarations every rule's model, gates and benches derive from.

A layout packs an item (and ``n`` items into one word) the same way in numpy (``StateLayout.pack``,
``unpack_words``) and in gates (``rtl.layout.items_word`` over ``array_ports``); both back ends of
the ops layer implement the whole ``Ops`` protocol.
"""

import inspect

import numpy as np
import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator
from hypothesis import given
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models.dendrite import DendriteParams
from neuroxide.models.fixedpoint import NUMPY, Ops
from neuroxide.models.hh import make_fixed
from neuroxide.models.izhikevich import state_layout as izhikevich_layout
from neuroxide.models.layout import StateField, StateLayout
from neuroxide.models.lif import LIFParams, LIFState
from neuroxide.models.onn import ONNParams
from neuroxide.models.stimulus import StimulusParams
from neuroxide.rtl.fixedpoint import AmaranthOps, PipelinedOps
from neuroxide.rtl.layout import array_ports, items_word

LAYOUT = StateLayout(StateField("v", 7, signed=True), StateField("d", 3, count=2), StateField("spike", 1))


# --- the ops layer ---------------------------------------------------------------------------------

def protocol_methods():
    return [name for name, member in vars(Ops).items() if inspect.isfunction(member) and not name.startswith("_")]


@pytest.mark.parametrize("backend", [NUMPY, AmaranthOps(Module()), PipelinedOps(Module())],
                         ids=["numpy", "amaranth", "pipelined"])
def test_every_back_end_implements_the_whole_ops_protocol(backend):
    assert isinstance(backend, Ops)
    assert set(protocol_methods()) == {"let", "select", "clamp", "shl", "stage"}
    for name in protocol_methods():
        want = list(inspect.signature(getattr(Ops, name)).parameters)[1:]   # less self
        assert list(inspect.signature(getattr(backend, name)).parameters) == want, name
    assert isinstance(backend.name, str)


def test_a_back_end_without_a_pipeline_cut_is_not_an_ops():
    class NoStage:
        name = "partial"
        let = select = clamp = shl = staticmethod(lambda *a: a)
    assert not isinstance(NoStage(), Ops)


# --- packing -----------------------------------------------------------------------------------------

item = st.fixed_dictionaries({"v": st.integers(-64, 63), "d": st.lists(st.integers(0, 7), min_size=2, max_size=2),
                              "spike": st.integers(0, 1)})


@given(st.lists(item, min_size=1, max_size=4))
def test_pack_and_unpack_are_inverse(items):
    n = len(items)
    cols = {f: np.array([it[f] for it in items]) for f in LAYOUT.names}
    word = LAYOUT.pack_items(cols)
    assert word < 1 << (n * LAYOUT.bits)
    assert word & ((1 << LAYOUT.bits) - 1) == LAYOUT.pack(items[0])
    assert LAYOUT.unpack(LAYOUT.pack(items[0])) == items[0]
    back = LAYOUT.unpack_words([word, word], n)
    for f in LAYOUT.names:
        assert back[f].shape == LAYOUT[f].item_shape((2, n))
        assert back[f].dtype == LAYOUT[f].dtype
        np.testing.assert_array_equal(back[f][1], cols[f].astype(LAYOUT[f].dtype))


def test_gates_pack_like_the_model():
    """``items_word`` over ``array_ports`` (a trace word in a bench top) == ``pack_items``."""
    n = 3

    class Holder(wiring.Component):
        def __init__(self):
            super().__init__({**array_ports(LAYOUT, n, In), "word": Out(n * LAYOUT.bits)})

        def elaborate(self, platform):
            m = Module()
            m.d.comb += self.word.eq(items_word(LAYOUT, self, n))
            return m

    cols = {"v": np.array([-64, 5, 63]), "d": np.array([[1, 7], [0, 3], [6, 2]]), "spike": np.array([1, 0, 1])}
    dut, got = Holder(), []

    async def bench(ctx):
        for k in range(n):
            ctx.set(dut.v[k], int(cols["v"][k]))
            ctx.set(dut.spike[k], int(cols["spike"][k]))
            for j in range(2):
                ctx.set(dut.d[2 * k + j], int(cols["d"][k, j]))
        got.append(ctx.get(dut.word))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert got == [LAYOUT.pack_items(cols)]


def test_a_vector_of_one_keeps_its_axis():
    one = StateLayout(StateField("d", 4, count=1))
    assert one.initial((2,))["d"].shape == (2, 1)
    assert one.unpack_words([5], 1)["d"].shape == (1, 1, 1)


def test_out_of_range_state_names_the_field():
    with pytest.raises(ParameterError) as e:
        LAYOUT.check({"v": np.array([0, 64]), "d": np.zeros((2, 2)), "spike": np.zeros(2)}, where="lif")
    assert e.value.field == "lif.v"
    with pytest.raises(ParameterError):
        StateField("x", 0)
    with pytest.raises(ValueError):
        StateLayout(StateField("x", 1), StateField("x", 2))


# --- every rule declares its state once -------------------------------------------------------------

def test_each_rule_declares_its_state():
    p = LIFParams(v_bits=14, ref_bits=3, adapt_bits=5)
    assert repr(p.state_layout) == "StateLayout(v:s14, ref:u3, adapt:u5, rng:u32, spike:u1)"
    assert LIFState.FIELDS == p.state_layout.names
    assert DendriteParams(n_dend=3).state_layout["d"].count == 3
    assert izhikevich_layout(20).names == ("v", "u", "spike")
    assert make_fixed().state_layout.names == ("v", "m", "h", "n", "spike")
    assert ONNParams(phase_bits=7).state_layout.bits == 7 + 32
    assert StimulusParams().output_layout(9).names == ("i_exc", "i_inh")
