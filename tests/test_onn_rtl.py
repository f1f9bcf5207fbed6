"""ONN core in Amaranth's simulator: the update stream equals the model, every oscillator every step,
for every lane count; the cycle formula; the host bus loads couplings/phases and reads phases, t and
energy."""

import numpy as np
import pytest
import scipy.sparse as sp
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroxide.models.onn import ONNModel, ONNParams, anneal_params
from neuroxide.rtl.onn_core import ONNCore, coupling_words, cycles_per_step
from support.amaranth_sim import bus_access, rand_J, run_onn_core


def words_of(J, dense, lanes):
    """W of the cycle formula, counted here from the matrix: ceil(N / L) words a dense row, max(1,
    ceil(nonzeros / L)) a sparse row."""
    n = J.shape[0]
    if dense:
        return n * -(-n // lanes)
    return sum(max(1, -(-int(np.count_nonzero(J[i])) // lanes)) for i in range(n))


@settings(max_examples=12, deadline=None)
@given(n=st.integers(2, 9), dense=st.booleans(), seed=st.integers(0, 2**32 - 1), density=st.floats(0.0, 1.0),
       wb=st.integers(2, 6), phase_bits=st.integers(4, 7), steps=st.integers(1, 12),
       lanes=st.sampled_from([1, 2, 4, 8, 16]))
def test_core_equals_model(n, dense, seed, density, wb, phase_bits, steps, lanes):
    """The lane datapath from random states (random couplings, seeds, widths, lane counts) equals
    the model on every phase and PRNG state at every step; cycles follow the documented formula."""
    q = 1 << (phase_bits - 2)
    base = ONNParams(phase_bits=phase_bits, weight_bits=wb, acc_bits=16, couple_max=min(8, q - 1),
                     inj_max=min(2, q - 1), noise_max=q - 1)
    p = anneal_params(max(steps // 2, 1), base)
    J = rand_J(n, seed % 1000, density, wb)
    got, info, dut = run_onn_core(p, J, dense, seed, steps, lanes)
    tr = ONNModel(p, J, seed, 1).run(steps, trace=True)
    assert np.array_equal(got[:, :, 0], np.tile(np.arange(n), (steps, 1)))
    assert np.array_equal(got[:, :, 1], tr.phase[:, :, 0])
    assert np.array_equal(got[:, :, 2], tr.rng[:, :, 0])
    # the documented cost: W + 11 + log2(lanes) clocks a step
    assert info["cycles"] == steps * (words_of(J, dense, lanes) + 11 + lanes.bit_length() - 1)
    assert info["cycles"] == steps * cycles_per_step(J if dense else sp.csr_matrix(J), dense, lanes)
    m = ONNModel(p, J, seed, 1)
    m.run(steps - 1)
    assert info["energy"] == m.energy()[0] and info["t"] == steps


def test_lanes_divide_the_sweep():
    """A 40-node graph with degree ~20: 8 lanes need about an eighth of the clocks of one lane."""
    J = rand_J(40, 2, 0.5, 3)
    one, eight = cycles_per_step(sp.csr_matrix(J), False, 1), cycles_per_step(sp.csr_matrix(J), False, 8)
    assert one == np.count_nonzero(J) + 11 and eight < one / 5


def test_a_40_bit_coupling_word_split_into_36_plus_4_bits_is_exact():
    """8 lanes of 5-bit dense weights: the core stores the 40-bit word as two memories (36 + 4 bits)."""
    p = anneal_params(4, ONNParams(weight_bits=5))
    J = rand_J(9, 3, 0.8, 5)
    got, info, dut = run_onn_core(p, J, True, 11, 4, lanes=8)
    assert dut.word_bits == 40
    tr = ONNModel(p, J, 11, 1).run(4, trace=True)
    assert np.array_equal(got[:, :, 1], tr.phase[:, :, 0]) and np.array_equal(got[:, :, 2], tr.rng[:, :, 0])


def test_a_different_rule_is_detected():
    p = anneal_params(8, ONNParams(acc_bits=14))
    J = rand_J(8, 3, 0.5, 5)
    got, _, _ = run_onn_core(p, J, False, 3, 8)
    tr = ONNModel(p.replace(couple_max=7), J, 3, 1).run(8, trace=True)
    assert not np.array_equal(got[:, :, 1], tr.phase[:, :, 0])


def test_host_bus_loads_and_reads():
    p = anneal_params(20, ONNParams(acc_bits=14))
    n = 6
    J = rand_J(n, 5, 0.6, 5)
    dut = ONNCore(p, n, None, dense=False, seed=9, max_entries=64)  # empty couplings at power-up
    words = coupling_words(p, sp.csr_matrix(J), dense=False)
    phases0 = [3, 40, 17, 60, 0, 33]
    out = {}
    at = dut.registers.address

    async def access(ctx, addr, data=None):
        return await bus_access(ctx, dut.bus, addr, data)

    async def bench(ctx):
        for e, w in enumerate(words):
            await access(ctx, at("COUPLING", e), w)
        await access(ctx, at("ENTRIES"), len(words))
        for i, ph in enumerate(phases0):
            await access(ctx, at("PHASE", i), ph)
        out["phases_back"] = [await access(ctx, at("PHASE", i)) for i in range(n)]
        out["word3"] = await access(ctx, at("COUPLING", 3))
        out["unmapped"] = await access(ctx, 0x0FFF00)
        await access(ctx, at("STEPS"), 20)
        await access(ctx, at("CTRL"), 1)
        while await access(ctx, at("CTRL")) & 1:
            pass
        out["t"] = await access(ctx, at("T"))
        out["energy"] = await access(ctx, at("ENERGY"))
        out["phases"] = [await access(ctx, at("PHASE", i)) for i in range(n)]
        out["info"] = await access(ctx, at("INFO"))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert out["phases_back"] == phases0 and out["word3"] == words[3] and out["unmapped"] == 0
    m = ONNModel(p, sp.csr_matrix(J), 9, 1)
    m.phase[:, 0] = phases0
    m.run(19)
    e19 = int(m.energy()[0])
    m.run(1)
    assert out["t"] == 20 and out["phases"] == m.phase[:, 0].tolist()
    assert out["energy"] == e19 & 0xFFFF_FFFF
    assert out["info"] & 0xFFFF == n


def test_bad_core_parameters():
    from neuroxide.errors import ParameterError
    with pytest.raises(ParameterError):
        ONNCore(ONNParams(), 1)
    with pytest.raises(ParameterError):
        ONNCore(ONNParams(), 4, np.zeros((3, 3), dtype=int))


def test_host_driver_through_the_link():
    """ONNHost -> HostLink frames -> LinkEngine -> bus -> ONNCore, in Amaranth's simulator."""
    from neuroxide.boards.host import HostLink
    from neuroxide.boards.onn_host import ONNHost
    from neuroxide.testbench.hostlink_top import AmaranthTransport
    p = anneal_params(10, ONNParams(acc_bits=14))
    n = 5
    J = rand_J(n, 8, 0.7, 5)
    core = ONNCore(p, n, None, dense=True, seed=2)
    onn = ONNHost(HostLink(AmaranthTransport(core)), p, n, dense=True)
    onn.load_couplings(J)
    onn.set_phases([1, 2, 33, 40, 63])
    assert onn.run(10) == 10
    m = ONNModel(p, J, 2, 1)
    m.phase[:, 0] = [1, 2, 33, 40, 63]
    m.run(9)
    e9 = int(m.energy()[0])
    m.run(1)
    assert onn.phases().tolist() == m.phase[:, 0].tolist()
    assert onn.spins().tolist() == m.spins()[:, 0].tolist() and onn.energy() == e9
