"""Randomised one-step equivalence of every update rule: numpy model vs Amaranth simulator.

Each hypothesis example draws a parameter set (within the rule's valid ranges, or one of the
calibrated sets the designs ship), then a batch of 1-4 full states and inputs anywhere in the
state space (saturation bounds and edge values weighted up), runs one step of the RTL from each
(``support.amaranth_sim.run_steps`` with the state deposited, or ``support.equivalence.run_rule``)
and compares every next-state field and output with the numpy rule, field by field as the rule's
state layout names them.
Examples per rule come from the hypothesis profile (tests/conftest.py): 200 in the default suite,
10,000 under ``make test-slow`` (HYPOTHESIS_PROFILE=slow). docs/equivalence.md lists what each
test draws and the measured times. The sequential tests (tests/test_*_rtl.py, cocotb) remain the
proof of the scheduling: many steps on real registers and memories.
"""

import dataclasses
import functools
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support.amaranth_sim import run_steps
from support.equivalence import column, first_mismatch, run_rule

from neuroxide.errors import ParameterError
from neuroxide.models import hh
from neuroxide.models import hostlink as proto
from neuroxide.models.dendrite import MAX_DENDRITES, DendriteParams, dendrite_step
from neuroxide.models.fixedpoint import NUMPY, signed_range
from neuroxide.models.hostlink import GAP, link_model
from neuroxide.models.izhikevich import (COEF_BITS, FRAC_BITS, STATE_BITS, IzhikevichProtocol, coeffs_for,
                                         izhikevich_step, load_protocols, model_dtype, state_layout)
from neuroxide.models.layout import StateField, StateLayout
from neuroxide.models.lif import LIFParams, lif_step
from neuroxide.models.onn import T_BITS, ONNParams, onn_update, output_of, schedule, spins_of
from neuroxide.models.prng import RNG_STATE, xorshift32
from neuroxide.models.register_file import RegisterFileModel, register_file_map
from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel
from neuroxide.models.stimulus import StimulusParams, stimulus_step
from neuroxide.models.wta import wta_step
from neuroxide.rtl.dendrite import DendriteNeuronArray
from neuroxide.rtl.hh import STEP_CYCLES, HHNeuron
from neuroxide.rtl.izhikevich import IzhikevichNeuron, IzhikevichNeuronPipelined
from neuroxide.rtl.lif import LIFNeuron
from neuroxide.rtl.wta import WTANeuronArray
from neuroxide.testbench.hostlink_top import AmaranthTransport
from neuroxide.testbench.snn_top import run_top_amaranth

# max_examples comes from the loaded profile (200 default, 10,000 slow)
RULE = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# rules whose example elaborates a whole core (SNN) or 12 ROMs (HH) or up to 5 neurons (WTA): fewer
# in the default suite, the full profile count (10,000) under the slow profile
SLOW_PROFILE = settings.default.max_examples >= 10_000
HEAVY = settings(RULE, max_examples=settings.default.max_examples if SLOW_PROFILE else 40)
BATCH = 4  # states per example (one elaboration)


def edge_int(lo, hi):
    """Integers in lo..hi with the bounds and 0/±1 (where inside) drawn often."""
    edges = sorted({x for x in (lo, hi, 0, 1, -1, lo + 1, hi - 1) if lo <= x <= hi})
    return st.sampled_from(edges) | st.integers(lo, hi)


def batch(state):
    return st.lists(state, min_size=1, max_size=BATCH)


# --- calibrated parameter sets the designs ship --------------------------------------------------

LIF_DESIGNS = ("lif", "fefet", "afefet", "mtj", "stochastic-ts", "nbo2-osc", "mtj-wta")


@functools.cache
def shipped_lif():
    """``{design: LIFParams}`` of the default LIF design and every zoo-calibrated LIF mapping."""
    from neuroxide.designs import configure
    return {name: configure(name, {}).params for name in LIF_DESIGNS}


@functools.cache
def shipped_wta():
    from neuroxide.designs import configure
    cfg = configure("mtj-wta", {})
    return cfg.params, cfg.w_lat


@functools.cache
def shipped_dendrite():
    from neuroxide.designs import configure
    return configure("dendrite", {}).params


# --- LIF -------------------------------------------------------------------------------------------

@st.composite
def lif_params(draw, max_v_bits=32):
    """Any valid LIFParams (LIFParams.validate's ranges), thresholds often within reach of one input."""
    v_bits = draw(st.integers(4, max_v_bits))
    in_bits = draw(st.integers(1, v_bits - 1))
    decay_bits = draw(st.integers(1, 16))
    ref_bits = draw(st.integers(1, 16))
    adapt_bits = draw(st.integers(1, 24))
    lo, hi = signed_range(v_bits)
    v_th = draw(st.integers(1, min(hi, 2 << in_bits)) | st.integers(1, hi))
    v_min = draw(st.none() | edge_int(lo, 0))
    v_lo = lo if v_min is None else v_min
    return LIFParams(
        v_bits=v_bits, in_bits=in_bits, decay_bits=decay_bits, ref_bits=ref_bits, adapt_bits=adapt_bits,
        decay=draw(edge_int(0, 1 << decay_bits)), bias=draw(edge_int(lo, hi)), v_th=v_th, v_min=v_min,
        v_reset=draw(edge_int(v_lo, v_th - 1)), v_init=draw(st.integers(v_lo, hi)),
        reset_mode=draw(st.sampled_from(["value", "subtract"])),
        t_ref=draw(edge_int(0, (1 << ref_bits) - 1)), adapt_inc=draw(edge_int(0, (1 << adapt_bits) - 1)),
        adapt_shift=draw(st.integers(1, adapt_bits)), noise_bits=draw(st.integers(0, v_bits - 1)))


def any_lif_params():
    """A random valid set, or one of the shipped (zoo-calibrated) sets."""
    return lif_params() | st.sampled_from(LIF_DESIGNS).map(lambda name: shipped_lif()[name])


def lif_state(p):
    return st.fixed_dictionaries({
        "v": edge_int(p.v_lo, p.v_hi), "ref": edge_int(0, (1 << p.ref_bits) - 1),
        "adapt": edge_int(0, p.adapt_max), "rng": edge_int(1, 2**32 - 1),
        "i_exc": edge_int(0, p.in_max), "i_inh": edge_int(0, p.in_max)})


@st.composite
def lif_case(draw, params):
    p = draw(params)
    return p, draw(batch(lif_state(p)))


def lif_want(p, vectors):
    c = functools.partial(column, vectors)
    return dict(zip(p.state_layout.names, lif_step(NUMPY, p, c("v"), c("ref"), c("adapt"), c("rng"), c("i_exc"),
                                                   c("i_inh"))))


def lif_neuron_run(p, vectors):
    c = functools.partial(column, vectors)
    return run_steps(LIFNeuron(p), p.state_layout, {f: c(f) for f in p.input_layout.names},
                     deposit={f: c(f) for f in p.state_layout.without("spike").names})


@RULE
@given(lif_case(any_lif_params()))
def test_lif_neuron(case):
    """rtl.lif.LIFNeuron (one step per clock) == lif_step, from any state."""
    p, vectors = case
    assert first_mismatch(lif_neuron_run(p, vectors), lif_want(p, vectors), vectors) is None


@RULE
@given(name=st.sampled_from(LIF_DESIGNS), data=st.data())
def test_lif_neuron_shipped_parameter_sets(name, data):
    """Every calibrated LIF parameter set (lif, the zoo's fefet/afefet/mtj/stochastic-ts/nbo2-osc, mtj-wta)."""
    p = shipped_lif()[name]
    vectors = data.draw(batch(lif_state(p)))
    assert first_mismatch(lif_neuron_run(p, vectors), lif_want(p, vectors), vectors) is None


def lif_pipelined_run(p, vectors):
    def rule(ops, v, ref, adapt, rng, i_exc, i_inh):
        return dict(zip(p.state_layout.names, lif_step(ops, p, v, ref, adapt, rng, i_exc, i_inh)))
    got, depth = run_rule(rule, p.state_layout.without("spike") + p.input_layout, p.state_layout, vectors,
                          pipelined=True)
    assert depth == 3  # the SNN core's neuron pipeline (rtl/snn_core.py asserts the same)
    return got


@RULE
@given(lif_case(any_lif_params()))
def test_lif_pipelined(case):
    """lif_step under PipelinedOps (3 register cuts, as in the SNN core), one state per clock."""
    p, vectors = case
    assert first_mismatch(lif_pipelined_run(p, vectors), lif_want(p, vectors), vectors) is None


def test_negative_lif_runners_detect_a_different_rule():
    p = LIFParams(decay=4000, noise_bits=4)
    vectors = [{"v": 3000, "ref": 0, "adapt": 5, "rng": 12345, "i_exc": 700, "i_inh": 3}]
    other = lif_want(p.replace(decay=4001), vectors)
    assert first_mismatch(lif_neuron_run(p, vectors), lif_want(p, vectors)) is None
    assert "v[0]" in first_mismatch(lif_neuron_run(p, vectors), other)
    assert "v[0]" in first_mismatch(lif_pipelined_run(p, vectors), other)


def test_negative_pipelined_runner_catches_a_value_that_skips_a_cut():
    def skips(ops, x):
        (y,) = ops.stage(x)
        return {"y": y + x}  # x read after the cut: the next vector's
    vectors = [{"x": k} for k in (1, 2, 3, 4)]
    got, depth = run_rule(skips, StateLayout(StateField("x", 8)), StateLayout(StateField("y", 9)), vectors,
                          pipelined=True)
    assert depth == 1
    assert first_mismatch(got, {"y": [2, 4, 6, 8]}) is not None


# --- dendrite ----------------------------------------------------------------------------------------

@st.composite
def dendrite_params(draw):
    in_bits = draw(st.integers(1, 16))
    d_bits = draw(st.integers(in_bits, 24))
    d_decay_bits = draw(st.integers(1, 16))
    v_bits = draw(st.integers(2, 24))
    decay_bits = draw(st.integers(1, 16))
    ref_bits = draw(st.integers(1, 16))
    v_max = (1 << v_bits) - 1
    v_th = draw(edge_int(1, v_max))
    return DendriteParams(
        n_dend=draw(st.integers(1, MAX_DENDRITES)), in_bits=in_bits, d_bits=d_bits, d_decay_bits=d_decay_bits,
        d_decay=draw(edge_int(0, 1 << d_decay_bits)), d_th=draw(edge_int(0, (1 << in_bits) - 1)),
        d_shift=draw(st.integers(0, d_bits)), v_bits=v_bits, decay_bits=decay_bits,
        decay=draw(edge_int(0, 1 << decay_bits)), v_th=v_th, v_reset=draw(edge_int(0, v_th - 1)),
        ref_bits=ref_bits, t_ref=draw(edge_int(0, (1 << ref_bits) - 1)))


def dendrite_state(p):
    per_dendrite = functools.partial(st.lists, min_size=p.n_dend, max_size=p.n_dend)
    return st.fixed_dictionaries({"v": edge_int(0, p.v_max), "ref": edge_int(0, (1 << p.ref_bits) - 1),
                                  "d": per_dendrite(edge_int(0, p.d_max)), "x": per_dendrite(edge_int(0, p.in_max))})


@st.composite
def dendrite_case(draw):
    p = draw(dendrite_params() | st.builds(shipped_dendrite))
    return p, draw(batch(dendrite_state(p)))


@RULE
@given(dendrite_case())
def test_dendrite(case):
    """rtl.dendrite.DendriteNeuronArray (one neuron) == dendrite_step, from any state."""
    p, vectors = case
    c = functools.partial(column, vectors)   # d, x: (vectors, n_dend)
    got = run_steps(DendriteNeuronArray(p, 1), p.state_layout, {"x": c("x")}, items=1,
                    deposit={f: c(f) for f in p.state_layout.without("spike").names})
    d, v, ref, spike = dendrite_step(NUMPY, p, list(c("d").T), c("v"), c("ref"), list(c("x").T))
    want = dict(zip(p.state_layout.names, (np.stack(d, axis=-1), v, ref, spike)))
    assert first_mismatch(got, want, vectors) is None


# --- winner-take-all --------------------------------------------------------------------------------

@st.composite
def wta_case(draw):
    if draw(st.booleans()):
        p = draw(lif_params(max_v_bits=24))
        w_lat = draw(edge_int(0, p.in_max))
    else:
        p, w_lat = shipped_wta()
    n = draw(st.integers(2, 5))
    one = lif_state(p)
    vectors = draw(batch(st.fixed_dictionaries({
        "neurons": st.lists(one, min_size=n, max_size=n), "spike": st.integers(0, (1 << n) - 1)})))
    # one list of n values per field, the previous spike vector as n bits
    by_field = []
    for vec in vectors:
        row = {f: [s[f] for s in vec["neurons"]] for f in p.state_layout.without("spike").names + ("i_exc",)}
        by_field.append(row | {"spike": [(vec["spike"] >> k) & 1 for k in range(n)]})
    return p, w_lat, n, by_field


@HEAVY
@given(wta_case())
def test_wta(case):
    """rtl.wta.WTANeuronArray == wta_step (lateral inhibition from the deposited spike vector)."""
    p, w_lat, n, vectors = case
    c = functools.partial(column, vectors)   # every field: (vectors, n)
    names = p.state_layout.names
    got = run_steps(WTANeuronArray(p, n, w_lat), p.state_layout, {"i_exc": c("i_exc")}, items=n,
                    deposit={f: c(f) for f in names})
    res = wta_step(NUMPY, p, w_lat, *(list(c(f, bool if f == "spike" else np.int64).T) for f in names),
                   list(c("i_exc").T))
    want = {f: np.stack(values, axis=-1) for f, values in zip(names, res)}
    assert first_mismatch(got, want, vectors) is None


# --- Izhikevich --------------------------------------------------------------------------------------

PANELS = load_protocols()


@st.composite
def izhikevich_params(draw):
    """``(coeffs, F, K, W)``: a 2004 panel at the design widths, or a random neuron at random widths."""
    if draw(st.booleans()):
        return coeffs_for(PANELS[draw(st.sampled_from(sorted(PANELS)))]), FRAC_BITS, COEF_BITS, STATE_BITS
    frac = draw(st.integers(8, FRAC_BITS))
    coef = draw(st.integers(12, COEF_BITS))
    width = frac + draw(st.integers(8, 12))
    panel = draw(st.sampled_from(sorted(PANELS)))  # G, L: other quadratic; R: the b0 form
    proto = IzhikevichProtocol(
        panel=panel, behaviour="random", a=draw(st.floats(0.001, 0.2)), b=draw(st.floats(-0.1, 1.0)),
        c=draw(st.floats(-80.0, -40.0)), d=draw(st.floats(-25.0, 10.0)), v0=-65.0, u0=0.0,
        dt_ms=draw(st.sampled_from([0.1, 0.2, 0.25, 0.5, 1.0])), tmax_ms=1.0, stimulus="none")
    return coeffs_for(proto, frac, coef), frac, coef, width


@st.composite
def izhikevich_case(draw):
    k, frac, coef, width = draw(izhikevich_params())
    lo, hi = signed_range(width)
    volts = edge_int(lo, hi) | st.integers(-(100 << frac), 100 << frac)  # mostly within +-100 mV
    vectors = draw(batch(st.fixed_dictionaries({"v": volts, "u": volts, "i_dt": volts})))
    return k, frac, coef, width, vectors


def izhikevich_check(cls, cycles, case):
    k, frac, coef, width, vectors = case
    c = functools.partial(column, vectors, dtype=model_dtype(frac, coef, width))
    layout = state_layout(width)
    got = run_steps(cls(k, frac, coef, width), layout, {"i_dt": c("i_dt")}, cycles=cycles,
                    deposit={f: c(f) for f in layout.without("spike").names})
    want = izhikevich_step(NUMPY, k, c("v"), c("u"), c("i_dt"), frac, coef, width)
    return first_mismatch(got, dict(zip(layout.names, want)), vectors)


@RULE
@given(izhikevich_case())
def test_izhikevich_one_cycle(case):
    """rtl.izhikevich.IzhikevichNeuron == izhikevich_step (object-int model where int64 is too narrow)."""
    assert izhikevich_check(IzhikevichNeuron, 1, case) is None


@RULE
@given(izhikevich_case())
def test_izhikevich_pipelined(case):
    """rtl.izhikevich.IzhikevichNeuronPipelined (5 cycles per step) == izhikevich_step."""
    assert izhikevich_check(IzhikevichNeuronPipelined, IzhikevichNeuronPipelined.STAGES, case) is None


# --- Hodgkin-Huxley ----------------------------------------------------------------------------------

@st.composite
def hh_fixed(draw):
    """``make_fixed`` keyword arguments (None: the design's constants): its whole accepted range of
    widths with perturbed membrane constants (ROM depth mostly small: each example elaborates 12
    ROMs). Drawn as arguments, not HHFixed, so a failing example prints short."""
    if draw(st.booleans()):
        return None
    v_frac = draw(st.integers(4, 24))
    scale = st.floats(0.5, 2.0)
    p = hh.HHParams(c_ufarad_per_cm2=draw(scale), g_na_msiemens_per_cm2=120.0 * draw(scale),
                    g_k_msiemens_per_cm2=36.0 * draw(scale), g_l_msiemens_per_cm2=0.3 * draw(scale))
    return (("p", p), ("dt_ms", draw(st.sampled_from([0.005, 0.01, 0.02, 0.05]))), ("v_frac", v_frac),
            # widths up to make_fixed's limits, but inside int64 for the model (hh_fits_int64)
            ("g_frac", draw(st.integers(4, min(30, 53 - v_frac)))),
            ("k_bits", draw(st.integers(8, min(32, 49 - v_frac)))),
            ("lut_frac", draw(st.integers(0, min(v_frac, 6)))),
            ("lut_v_lo", draw(st.sampled_from([-100.0, -120.0, -90.5]))),
            ("lut_size", draw(st.integers(16, 96) | st.integers(16, 1024))))


@functools.lru_cache(maxsize=64)
def hh_fixed_of(args):
    return hh.make_fixed(**dict(args or ()))


def hh_fits_int64(k):
    """Every intermediate of hh_step fits int64: |gna*(v-E)| < 2**(g_frac+v_bits) and the current sum
    < 3 * max(k_na, k_k, k_l) * 2**v_bits. make_fixed refuses widths beyond this
    (test_hh_widths_beyond_int64_are_refused)."""
    k_max = max(k.k_na, k.k_k, k.k_l)
    return k.g_frac + k.v_bits <= 62 and k_max.bit_length() + k.v_bits + 2 <= 63


@st.composite
def hh_case(draw):
    args = draw(hh_fixed())
    try:
        k = hh_fixed_of(args)
    except ParameterError:      # widths make_fixed refuses (beyond int64): test_hh_widths_beyond_int64_are_refused
        assume(False)
    assert hh_fits_int64(k)     # make_fixed's guarantee
    lo, hi = signed_range(k.v_bits)
    table_hi = k.lut_lo + (k.lut_size << (k.v_frac - k.lut_frac))
    table_edges = sorted({min(max(x, lo), hi) for x in (k.lut_lo - 1, k.lut_lo, table_hi - 1, table_hi)})
    volts = (edge_int(lo, hi) | st.sampled_from(table_edges)
             | st.integers(max(lo, -(120 << k.v_frac)), min(hi, 60 << k.v_frac)))
    gate = edge_int(0, k.one)
    vectors = draw(batch(st.fixed_dictionaries({"v": volts, "m": gate, "h": gate, "n": gate,
                                                "i_dt": edge_int(lo, hi) | st.integers(-(1 << k.v_frac), 1 << k.v_frac)})))
    return args, vectors


def hh_check(k, vectors):
    c = functools.partial(column, vectors)
    got = run_steps(HHNeuron(k), k.state_layout, {"i_dt": c("i_dt")}, cycles=STEP_CYCLES,
                    deposit={f: c(f) for f in k.state_layout.without("spike").names})
    v = c("v")
    idx = hh.hh_index(NUMPY, k, v)
    look = {name: np.array(table, dtype=np.int64)[idx] for name, table in k.tables.items()}
    want = dict(zip(k.state_layout.names, hh.hh_step(NUMPY, k, v, c("m"), c("h"), c("n"), look, c("i_dt"))))
    return first_mismatch(got, want, vectors)


@HEAVY
@given(hh_case())
def test_hh(case):
    """rtl.hh.HHNeuron (ROM lookup + hh_step, 2 cycles per step) == hh_index + hh_step."""
    args, vectors = case
    assert hh_check(hh_fixed_of(args), vectors) is None


def test_hh_widths_beyond_int64_are_refused():
    """The counterexample test_hh once found: the squid constants at v_frac=24, k_bits=32, v at its
    most negative value, m = h = 1.0, n = 0: k_na * i_na exceeds 2**63, where the int64 model
    wrapped (-2419193362) and the RTL did not (1875773934). make_fixed now refuses such widths,
    naming the field and the range that fits; the widest accepted widths stay exact."""
    with pytest.raises(ParameterError, match=r"k_bits=32 .*allowed: 8\.\.27 at v_frac=24"):
        hh.make_fixed(v_frac=24, k_bits=32)
    with pytest.raises(ParameterError, match=r"g_frac=30 .*allowed: 4\.\.29 at v_frac=24"):
        hh.make_fixed(v_frac=24, g_frac=30)
    k = hh.make_fixed(v_frac=24, g_frac=29, k_bits=27)
    assert hh_fits_int64(k)
    vectors = [{"v": v, "m": m, "h": h, "n": n, "i_dt": i}
               for v in signed_range(k.v_bits) for m in (0, k.one) for h in (0, k.one) for n in (0, k.one)
               for i in signed_range(k.v_bits)]
    assert hh_check(k, vectors) is None


# --- ONN oscillator update ---------------------------------------------------------------------------

@st.composite
def onn_params(draw):
    phase_bits = draw(st.integers(3, 12))
    weight_bits = draw(st.integers(2, 16))
    q = 1 << (phase_bits - 2)
    noise_max = draw(edge_int(0, q - 1))
    return ONNParams(
        phase_bits=phase_bits, weight_bits=weight_bits, acc_bits=draw(st.integers(weight_bits, 31)),
        couple_gain=draw(edge_int(0, 255)), couple_shift=draw(st.integers(0, 16)),
        couple_max=draw(edge_int(0, q - 1)), inj_max=draw(edge_int(0, q - 1)), inj_rate=draw(edge_int(0, 0xFFFF)),
        noise_max=noise_max, noise_min=draw(edge_int(0, noise_max)), noise_rate=draw(edge_int(0, 0xFFFF)))


@st.composite
def onn_case(draw):
    p = draw(onn_params() | st.just(ONNParams()))
    lo, hi = signed_range(p.acc_bits)
    vectors = draw(batch(st.fixed_dictionaries({
        "phase": edge_int(0, p.phase_mask), "h": edge_int(lo, hi) | st.integers(max(lo, -64), min(hi, 64)),
        "rng": edge_int(1, 2**32 - 1), "t": edge_int(0, (1 << T_BITS) - 1)})))
    return p, vectors


def onn_layouts(p):
    """Arguments and results of :func:`onn_rule`: the oscillator state (``p.state_layout``) with
    the weighted sum and step count in, and the schedule, output and spin out, at the core's widths."""
    P = p.phase_bits
    inputs = p.state_layout + StateLayout(StateField("h", p.acc_bits + 1, signed=True), StateField("t", T_BITS))
    outputs = p.state_layout + StateLayout(StateField("inj", P), StateField("amp", P),
                                           StateField("out", P, signed=True), StateField("spin", 1))
    return inputs, outputs


def onn_rule(p):
    def rule(ops, phase, h, rng, t):
        inj, amp = schedule(ops, p, t)
        phase_n, rng_n = onn_update(ops, p, phase, h, rng, inj, amp)
        return {"phase": phase_n, "rng": rng_n, "inj": inj, "amp": amp,
                "out": output_of(ops, p, phase), "spin": spins_of(ops, p, phase)}
    return rule


@RULE
@given(onn_case())
def test_onn_update(case):
    """schedule + onn_update + output_of + spins_of (the ONN core's stages C/D) in gates == numpy."""
    p, vectors = case
    got, _ = run_rule(onn_rule(p), *onn_layouts(p), vectors)
    c = functools.partial(column, vectors)
    want = onn_rule(p)(NUMPY, c("phase"), c("h"), c("rng"), c("t"))
    assert first_mismatch(got, want, vectors) is None


def test_negative_comb_runner_detects_a_different_rule():
    p = ONNParams()
    vectors = [{"phase": 20, "h": 3, "rng": 99, "t": 5000}]
    inputs, _ = onn_layouts(p)
    got, _ = run_rule(onn_rule(p), inputs, p.state_layout, vectors)
    c = functools.partial(column, vectors)
    same = onn_rule(p)(NUMPY, c("phase"), c("h"), c("rng"), c("t"))
    assert first_mismatch(got, {"phase": same["phase"], "rng": same["rng"]}) is None
    other = onn_rule(p.replace(couple_gain=2))(NUMPY, c("phase"), c("h"), c("rng"), c("t"))
    assert first_mismatch(got, {"phase": other["phase"]}) is not None


# --- stimulus generator and PRNG ---------------------------------------------------------------------

@st.composite
def stimulus_case(draw):
    in_bits = draw(st.integers(1, 24))
    sp = StimulusParams(p_exc=draw(edge_int(0, 256)), p_inh=draw(edge_int(0, 256)),
                        exc_bits=draw(st.integers(0, in_bits)), inh_bits=draw(st.integers(0, in_bits))).validate(in_bits)
    vectors = draw(batch(st.fixed_dictionaries({"rng": edge_int(1, 2**32 - 1)})))
    return sp, in_bits, vectors


@RULE
@given(stimulus_case())
def test_stimulus_step(case):
    """stimulus_step (rtl.stimulus.StimulusGenerator's next-state logic) in gates == numpy."""
    sp, in_bits, vectors = case

    outputs = sp.state_layout + sp.output_layout(in_bits)

    def rule(ops, rng):
        return dict(zip(outputs.names, stimulus_step(ops, sp, rng)))
    got, _ = run_rule(rule, sp.state_layout, outputs, vectors)
    assert first_mismatch(got, rule(NUMPY, column(vectors, "rng")), vectors) is None


@RULE
@given(advances=st.integers(1, 4), vectors=batch(st.fixed_dictionaries({"x": edge_int(0, 2**32 - 1)})))
def test_xorshift32(advances, vectors):
    """xorshift32 chained ``advances`` times (every PRNG of the designs) in gates == numpy."""
    def rule(ops, x):
        out = {}
        for k in range(advances):
            x = ops.let(f"x{k}", xorshift32(ops, x))
            out[f"x{k}"] = x
        return out
    word = functools.partial(dataclasses.replace, RNG_STATE)
    got, _ = run_rule(rule, StateLayout(word(name="x")), StateLayout(*(word(name=f"x{k}") for k in range(advances))),
                      vectors)
    assert first_mismatch(got, rule(NUMPY, column(vectors, "x")), vectors) is None


# --- SNN core ----------------------------------------------------------------------------------------

@st.composite
def snn_case(draw):
    """A small network (1-3 layers of 1-6 neurons, any LIF parameters incl. shipped ones, extreme
    weights, ADC shift, lateral inhibition), lanes 1/2/4/8, 1-6 steps of 1-2 samples run back to back
    (a state reset between samples) at input densities from silent to every input spiking."""
    n_layers = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 6)) for _ in range(n_layers + 1)]
    layers = []
    for k in range(n_layers):
        wb = draw(st.integers(1, 8))
        top = (1 << wb) - 1
        n = sizes[k] * sizes[k + 1]
        level = st.sampled_from([0, top]) | st.integers(0, top)
        w_exc = np.array(draw(st.lists(level, min_size=n, max_size=n))).reshape(sizes[k], sizes[k + 1])
        w_inh = np.array(draw(st.lists(st.just(0) | level, min_size=n, max_size=n))).reshape(sizes[k], sizes[k + 1])
        p = draw(lif_params(max_v_bits=20) | st.sampled_from(LIF_DESIGNS).map(lambda name: shipped_lif()[name]))
        layers.append(CoreLayer(w_exc, w_inh, wb, p, adc_shift=draw(st.integers(0, 3) | st.integers(0, 15)),
                                lateral=draw(edge_int(0, p.in_max))))
    net = CoreNetwork(tuple(layers), seed=draw(st.integers(0, 2**32 - 1)))
    steps, batch = draw(st.integers(1, 6)), draw(st.integers(1, 2))
    density = draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))
    s = np.random.default_rng(draw(st.integers(0, 2**16))).random((steps, batch, net.n_in)) < density
    return net, draw(st.sampled_from([1, 2, 4, 8])), s


@HEAVY
@given(snn_case())
def test_snn_core_step(case):
    """rtl.snn_core.SNNCore == SNNModel on the full state of every neuron after each step, every sample
    (the only randomised SNN-core equivalence; tests/test_snn_core_rtl.py holds the fixed scenarios)."""
    net, lanes, s = case
    got, _, _ = run_top_amaranth(net, lanes, s)
    trace = SNNModel(net, s.shape[1]).run(s, record_state=True)
    for b, sample in enumerate(got):
        for k, layer in enumerate(net.layers):
            want = {f: trace.state[k][f][:, b] for f in layer.state_layout.names if f != "spike"}
            want["spike"] = trace.spikes[k][:, b]
            assert first_mismatch(sample[k], want) is None, f"sample {b}, layer {k}"


# --- host link ---------------------------------------------------------------------------------------

FRAME_TIMEOUT = 40
FT_REGISTERS = register_file_map()


class LinkPair:
    """One persistent simulated link (engine + register file) and its reference model, in lock-step:
    every example continues from the state the previous ones left (RAM and FIFO contents)."""

    def __init__(self):
        self.transport = AmaranthTransport(frame_timeout=FRAME_TIMEOUT)
        self.model = RegisterFileModel()

    def exchange(self, stream):
        """Send ``stream`` (ending in a GAP), return ``(got, want)``: (responses, bus transfers)."""
        t, model = self.transport, self.model
        want_bytes = link_model(stream, model)
        start = len(t.transfers)
        for item in stream:
            if item == GAP:
                t.idle()
            else:
                t.write(bytes([item]))
        budget = len(stream) * 4 + (FRAME_TIMEOUT + 4) * stream.count(GAP) + 400 * (len(want_bytes) // 5 + 2)
        while (t.pending or len(t.received) < len(want_bytes)) and budget > 0:
            t.run(128)
            budget -= 128
        t.run(FRAME_TIMEOUT + 8)  # anything the device sends beyond the model's answer shows up here
        got = (bytes(t.received), t.transfers[start:])
        t.received.clear()
        return got, (want_bytes, model.transfers[start:])


@functools.cache
def link_pair():
    return LinkPair()


@st.composite
def link_frames(draw):
    """1-3 requests: valid (RAM, FIFO, ID/COUNT, unmapped, up to MAX_WORDS words, ping) or mutated
    (bit flip, truncation, unknown command, LEN beyond MAX_PAYLOAD, garbage before); a GAP after each
    broken frame and at the end (the host waits out the frame timeout)."""
    words = st.lists(st.integers(0, proto.WORD_MASK), min_size=1, max_size=8) | st.lists(
        st.integers(0, proto.WORD_MASK), min_size=1, max_size=proto.MAX_WORDS)
    addr = edge_int(0, 300) | st.sampled_from([*(FT_REGISTERS.address(name) for name in ("FIFO", "ID", "COUNT")),
                                               proto.ADDR_MASK, proto.ADDR_MASK - 2])
    frame = st.one_of(
        st.builds(proto.write_request, addr, words, st.booleans()),
        st.builds(proto.read_request, addr, st.integers(1, 8) | st.integers(1, proto.MAX_WORDS), st.booleans()),
        st.just(proto.ping_request()))
    items = []
    for _ in range(draw(st.integers(1, 3))):
        raw = bytearray(draw(frame))
        kind = draw(st.sampled_from(["ok", "ok", "ok", "flip", "cut", "garbage", "cmd", "len"]))
        if kind == "flip":
            bit = draw(st.integers(8, 8 * len(raw) - 1))
            raw[bit // 8] ^= 1 << (bit % 8)
        elif kind == "cut":
            raw = raw[:draw(st.integers(1, len(raw) - 1))]
        elif kind == "cmd":
            raw = bytearray(proto.encode_request(draw(st.integers(0, 255)), raw[3:-2]))
        elif kind == "len":
            raw[2] = draw(st.integers(proto.MAX_PAYLOAD + 1, 255))
        if kind == "garbage":
            items += [b for b in draw(st.binary(max_size=12))]
        items += list(raw)
        if kind != "ok" or draw(st.booleans()):
            items.append(GAP)
    if items[-1] != GAP:
        items.append(GAP)
    return items


@RULE
@given(link_frames())
def test_hostlink(stream):
    """rtl.hostlink.LinkEngine + RegisterFileCore == the protocol's reference model (responses and
    every bus transfer), on one persistent simulation."""
    pair = link_pair()
    got, want = pair.exchange(stream)
    if got != want:
        link_pair.cache_clear()  # resynchronise: the next example starts from a fresh pair
    assert got[0] == want[0], "responses differ"
    assert got[1] == want[1], "bus transfers differ"


def test_negative_hostlink_pair_detects_a_different_target():
    """The comparison can fail: a model whose RAM holds one word less answers a read differently."""
    pair = LinkPair()
    pair.model = RegisterFileModel(depth=255)
    stream = list(proto.write_request(255, [random.Random(2).getrandbits(32)])) + list(proto.read_request(255, 1)) + [GAP]
    got, want = pair.exchange(stream)
    assert got[0] != want[0]
