"""Formal proofs (SymbiYosys, z3) of the ONN oscillator update and the SNN core's neuron pipeline.

Default suite: one cheap PASS per group and specifications that differ from the gates in one
constant must FAIL (so each harness can fail). ``-m slow``: every harness of both groups (what
``python -m neuroxide.testbench.formal --only onn,snn-core`` proves) and more negatives.
"""

import pytest

from neuroxide.models.onn import ONNParams
from neuroxide.testbench.formal import harness_groups, prove
from neuroxide.testbench.formal_onn import (ONN_NARROW, ONN_P3, ONN_WIDE, ONNColourScheduleProperties,
                                            ONNLaneAccumulatorProperties, ONNLaneScheduleProperties,
                                            ONNStepCounterProperties, ONNUpdateProperties)
from neuroxide.testbench.formal_onn import HARNESSES as ONN_HARNESSES
from neuroxide.testbench.formal_snn import HARNESSES as SNN_HARNESSES
from neuroxide.testbench.formal_snn import (ACC_CASES, SNN_DEFAULT, SNN_DIGITS, SNN_NARROW, SNN_NIR,
                                            SNNAccumulatorProperties, SNNNeuronProperties)
from support.tools import require

TIMEOUT_S = 300


def _prove(harness, name, tmp_path, depth=None, mode="prove", timeout_s=TIMEOUT_S):
    require("sby")
    return prove(harness, name, tmp_path, depth=depth, mode=mode, timeout_s=timeout_s)


def test_groups_are_discovered_by_the_formal_runner():
    harnesses, properties = harness_groups()
    for group in ("onn", "snn-core"):
        assert group in harnesses and properties[group]


# ---- onn ---------------------------------------------------------------------------------------
def test_onn_update_proven_at_default_params(tmp_path):
    r = _prove(ONNUpdateProperties(ONNParams()), "onn_default", tmp_path)
    assert r["status"] == "PASS", r["log"]


@pytest.mark.parametrize("wrong", [{"couple_max": 2}, {"noise_min": 0}])
def test_onn_proof_fails_against_a_different_specification(tmp_path, wrong):
    r = _prove(ONNUpdateProperties(ONN_NARROW, spec=ONN_NARROW.replace(**wrong)), "onn_wrong", tmp_path)
    assert r["status"] == "FAIL"


@pytest.mark.slow
@pytest.mark.parametrize("params,wrong", [
    (ONN_NARROW, {"inj_rate": 2}), (ONN_NARROW, {"couple_shift": 2}), (ONN_NARROW, {"inj_max": 2}),
    (ONNParams(), {"noise_rate": 30}), (ONNParams(), {"couple_gain": 2}), (ONN_WIDE, {"couple_gain": 254})])
def test_more_onn_specifications_fail(tmp_path, params, wrong):
    r = _prove(ONNUpdateProperties(params, spec=params.replace(**wrong)), "onn_wrong", tmp_path)
    assert r["status"] == "FAIL"


@pytest.mark.slow
def test_onn_step_counter_proof_fails_against_a_different_saturation_value(tmp_path):
    # t = 0 must hold, which the first completed step contradicts: the bound covers one step of the
    # core (2 oscillators at the default lanes: rtl.onn_core.cycles_per_step) and its start
    from neuroxide.rtl.onn_core import ONNCore
    depth = ONNCore(ONN_NARROW, 2).cycles_per_step + 3
    r = _prove(ONNStepCounterProperties(ONN_NARROW, 2, spec_t_max=0), "onn_t_wrong", tmp_path, depth=depth)
    assert r["status"] == "FAIL"


def test_onn_lane_accumulator_fails_when_the_couplings_may_exceed_acc_bits(tmp_path):
    """Couplings one bit past what check_couplings allows: the accumulator can reach its wrap."""
    r = _prove(ONNLaneAccumulatorProperties(ONN_NARROW, 2, spec_acc_bits=ONN_NARROW.acc_bits + 1), "onn_acc_wide",
               tmp_path)
    assert r["status"] == "FAIL"


@pytest.mark.slow
@pytest.mark.parametrize("dense", [False, True])
def test_onn_lane_scheduler_reads_every_word_once_a_step(tmp_path, dense):
    """Bounded from reset over two steps of any run sequence (k-induction of the whole core is out
    of z3's reach here): word addresses 0..W-1 once each a step, every oscillator updated once."""
    from neuroxide.testbench.formal import prove
    require("sby")
    h = ONNLaneScheduleProperties(ONN_NARROW.replace(acc_bits=8), 3, 2, dense)
    r = prove(h, "onn_sched", tmp_path, mode="bmc", timeout_s=900)
    assert r["status"] == "PASS", r["log"]
    wrong = ONNLaneScheduleProperties(ONN_NARROW.replace(acc_bits=8), 3, 2, dense, spec_words=h.words + 1)
    assert prove(wrong, "onn_sched_wrong", tmp_path / "w", mode="bmc", timeout_s=900)["status"] == "FAIL"


@pytest.mark.slow
@pytest.mark.parametrize("dense,lanes", [(False, 1), (True, 2)])
def test_onn_colour_scheduler_drains_between_colours(tmp_path, dense, lanes):
    """Colour mode, bounded from reset over a step and the next step's first colour: every coupling
    word read once a sweep, a colour's reads only after the previous colour's last write, every
    oscillator updated once; with colour 0 one row longer in the specification it FAILS."""
    require("sby")
    p = ONN_P3.replace(acc_bits=4)
    h = ONNColourScheduleProperties(p, 4, lanes, dense)
    assert h.colour_rows == (0, 2, 4) and list(h.layout.order) != [0, 1, 2, 3]  # 2 colours, rows permuted
    r = prove(h, "onn_colour_sched", tmp_path, mode="bmc", timeout_s=1800)
    assert r["status"] == "PASS", r["log"]
    wrong = ONNColourScheduleProperties(p, 4, lanes, dense, spec_colour_rows=(0, 3, 4))
    assert prove(wrong, "onn_colour_sched_wrong", tmp_path / "w", mode="bmc", timeout_s=900)["status"] == "FAIL"


# ---- snn-core ------------------------------------------------------------------------------------
def test_the_digits_harness_is_the_shipped_digits_layer():
    """SNN_DIGITS is what the digits network's hidden layer really is (a retrained network changes it)."""
    from neuroxide.models.crossbar import DeviceParams
    from neuroxide.models.train import convert, load_digits_split, trained_mlp
    network, _ = convert(trained_mlp(), load_digits_split()[0], DeviceParams(weight_bits=4, grid_bits=8),
                         seed=1, network_seed=1)
    assert network.layers[0].params == SNN_DIGITS


def test_snn_core_neuron_pipeline_proven_for_the_digits_layer(tmp_path):
    r = _prove(SNNNeuronProperties(SNN_DIGITS), "snn_digits", tmp_path)
    assert r["status"] == "PASS", r["log"]


@pytest.mark.parametrize("params,wrong", [(SNN_NARROW, {"v_th": 71}), (SNN_DIGITS, {"v_th": 1243})])
def test_snn_core_proof_fails_against_a_different_specification(tmp_path, params, wrong):
    r = _prove(SNNNeuronProperties(params, spec=params.replace(**wrong)), "snn_wrong", tmp_path)
    assert r["status"] == "FAIL"


@pytest.mark.slow
@pytest.mark.parametrize("params,wrong", [
    (SNN_NARROW, {"decay": 12}), (SNN_NARROW, {"adapt_inc": 10}), (SNN_NARROW, {"v_min": -89}),
    (SNN_DEFAULT, {"t_ref": 2}), (SNN_NIR, {"bias": 566})])
def test_more_snn_core_specifications_fail(tmp_path, params, wrong):
    r = _prove(SNNNeuronProperties(params, spec=params.replace(**wrong)), "snn_wrong", tmp_path)
    assert r["status"] == "FAIL"


# ---- every harness (the runner's set) -----------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("group,name", [("onn", n) for n in ("onn-narrow", "onn-p3", "onn-default", "onn-maxcut-g1",
                                                              "onn-wide-p12", "onn-core-t-saturates",
                                                              "onn-lanes-accumulator", "onn-colour-schedule")]
                         + [("snn-core", n) for n in ("snn-core-default", "snn-core-digits", "snn-core-nir",
                                                       "snn-core-narrow")])
def test_every_onn_and_snn_core_harness_proven(tmp_path, group, name):
    harness = {**ONN_HARNESSES, **SNN_HARNESSES}[group]()[name]
    mode = getattr(harness, "formal_mode", "prove")  # the colour scheduler: bounded from reset (about 6 min)
    r = _prove(harness, name.replace("-", "_"), tmp_path, mode=mode, timeout_s=TIMEOUT_S if mode == "prove" else 1800)
    assert r["status"] == "PASS", r["log"]


def test_harness_names_match_the_runner():
    # the slow test's list above is the runner's set (a new harness must be added there too)
    assert sorted(ONN_HARNESSES["onn"]()) == sorted(["onn-narrow", "onn-p3", "onn-default", "onn-maxcut-g1",
                                                     "onn-wide-p12", "onn-core-t-saturates",
                                                     "onn-lanes-accumulator", "onn-colour-schedule"])
    assert sorted(SNN_HARNESSES["snn-core"]()) == sorted(["snn-core-default", "snn-core-digits", "snn-core-nir",
                                                          "snn-core-narrow"])


# ---- snn-core accumulators ----------------------------------------------------------------------
def test_snn_core_accumulator_cannot_wrap():
    """The digits hidden layer's accumulator (64 rows of 4-bit levels) is exact and never wraps; one bit
    narrower than rtl.snn_core.accumulator_bits, a reachable group overflows it (the proof can fail)."""
    require("sby")
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        assert prove(SNNAccumulatorProperties(*ACC_CASES["acc-digits"]), "acc_digits", tmp, timeout_s=TIMEOUT_S)["status"] == "PASS"
        assert prove(SNNAccumulatorProperties(4, 8, acc_bits=9), "acc_narrow", tmp, timeout_s=TIMEOUT_S)["status"] == "FAIL"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ACC_CASES))
def test_every_snn_core_accumulator_harness_proven(tmp_path, name):
    r = _prove(SNN_HARNESSES["snn-core-acc"]()[name], name.replace("-", "_"), tmp_path)
    assert r["status"] == "PASS", r["log"]
