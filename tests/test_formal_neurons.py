"""Formal proofs (SymbiYosys k-induction, z3) of the neuron datapaths beyond the plain LIF.

Default suite: per harness group one cheap configuration is proven and specifications that differ
from the gates in one constant must FAIL (so each harness can fail). ``-m slow``: every harness of
every group (the set ``make formal`` proves), at the depth the catalogue in docs/formal.md gives.
"""

import dataclasses
import importlib

import pytest

from neuroxide.testbench.formal import prove
from neuroxide.testbench.formal_neurons import (DENDRITE_NARROW, WTA_NARROW, DendriteProperties, LIFStepProperties,
                                                WTAProperties, zoo_params)
from support.tools import needs

# (module, group) of every harness group built here
GROUPS = [("formal_neurons", "lif-zoo"), ("formal_neurons", "dendrite"), ("formal_neurons", "wta"),
          ("formal_izhikevich", "izhikevich")]


def _harnesses(module, group):
    return importlib.import_module(f"neuroxide.testbench.{module}").HARNESSES[group]()


def test_groups_are_discovered_by_the_formal_runner():
    from neuroxide.testbench.formal import harness_groups
    harnesses, properties = harness_groups()
    for _, group in GROUPS:
        assert group in harnesses and properties[group]


# ---- lif-zoo -----------------------------------------------------------------------------------
@needs("sby")
def test_calibrated_afefet_lif_proven(tmp_path):
    r = prove(LIFStepProperties(zoo_params("afefet")), "afefet", tmp_path, depth=3)
    assert r["status"] == "PASS", r["log"]


@pytest.mark.parametrize("wrong", [{"decay": -1}, {"t_ref": -1}])
@needs("sby")
def test_calibrated_lif_proof_fails_against_a_different_specification(tmp_path, wrong):
    p = zoo_params("afefet")
    spec = p.replace(**{k: getattr(p, k) + d for k, d in wrong.items()})
    r = prove(LIFStepProperties(p, spec=spec), "afefet_wrong", tmp_path, depth=3)
    assert r["status"] == "FAIL"


# ---- dendrite ----------------------------------------------------------------------------------
@needs("sby")
def test_dendrite_properties_proven(tmp_path):
    r = prove(DendriteProperties(DENDRITE_NARROW), "dendrite", tmp_path, depth=3)
    assert r["status"] == "PASS", r["log"]


@pytest.mark.parametrize("wrong", [{"d_th": 4}, {"d_shift": 2}, {"t_ref": 2}])
@needs("sby")
def test_dendrite_proof_fails_against_a_different_specification(tmp_path, wrong):
    r = prove(DendriteProperties(DENDRITE_NARROW, spec=DENDRITE_NARROW.replace(**wrong)), "dendrite_wrong",
              tmp_path, depth=3)
    assert r["status"] == "FAIL"


# ---- wta ---------------------------------------------------------------------------------------
@needs("sby")
def test_wta_properties_proven(tmp_path):
    mtj_wta = importlib.import_module("neuroxide.designs.mtj_wta").DESIGN
    r = prove(WTAProperties(mtj_wta.calibrated_params(), 2, mtj_wta.default_w_lat()), "wta", tmp_path, depth=3)
    assert r["status"] == "PASS", r["log"]


@needs("sby")
def test_wta_proof_fails_against_a_different_lateral_weight(tmp_path):
    r = prove(WTAProperties(WTA_NARROW, 2, 25, spec_w_lat=24), "wta_wrong", tmp_path, depth=3)
    assert r["status"] == "FAIL"


# ---- izhikevich ---------------------------------------------------------------------------------
def _iz_narrow():
    from neuroxide.testbench.formal_izhikevich import NARROW, _coeffs
    return _coeffs("A", NARROW["frac_bits"], NARROW["coef_bits"]), NARROW


@needs("sby")
def test_pipelined_izhikevich_properties_proven(tmp_path):
    from neuroxide.testbench.formal_izhikevich import IzhikevichProperties
    k, w = _iz_narrow()
    h = IzhikevichProperties(k, **w, pipelined=True, equality=False)
    r = prove(h, "iz_pipe", tmp_path, depth=h.formal_depth)
    assert r["status"] == "PASS", r["log"]


@pytest.mark.parametrize("pipelined,wrong", [(False, "a1"), (True, "c"), (True, "v_peak")])
@needs("sby")
def test_izhikevich_proof_fails_against_a_different_specification(tmp_path, pipelined, wrong):
    from neuroxide.testbench.formal_izhikevich import IzhikevichProperties
    k, w = _iz_narrow()
    spec = dataclasses.replace(k, **{wrong: getattr(k, wrong) + (1 if wrong != "v_peak" else -1)})
    h = IzhikevichProperties(k, **w, pipelined=pipelined, equality=not pipelined, spec=spec)
    r = prove(h, "iz_wrong", tmp_path, depth=h.formal_depth)
    assert r["status"] == "FAIL"


# ---- every harness (make formal) ---------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("module,group,name", [(mod, g, name) for mod, g in GROUPS for name in sorted(_harnesses(mod, g))])
@needs("sby")
def test_every_neuron_harness_proven(tmp_path, module, group, name):
    harness = _harnesses(module, group)[name]
    r = prove(harness, name.replace("-", "_"), tmp_path)  # at depth_for(harness), as make formal does
    assert r["status"] == "PASS", r["log"]
