"""Formal proofs (SymbiYosys, z3) of the plasticity rule unit: levels stay in 0..2**weight_bits-1 and
follow the rule's equations for every input. Default suite: one proof and a must-FAIL
(wrapping) specification; ``-m slow``: every harness of the ``plasticity`` group and a specification
with a different rate, which must FAIL."""

import pytest

from neuroxide.models.plasticity import PlasticityParams
from neuroxide.testbench.formal import prove
from neuroxide.testbench.formal_plasticity import NARROW, SynapseUpdateProperties, _cases
from support.tools import needs


def test_group_is_discovered_by_the_formal_runner():
    from neuroxide.testbench.formal import harness_groups
    harnesses, properties = harness_groups()
    assert "plasticity" in harnesses and properties["plasticity"]
    assert set(harnesses["plasticity"]()) == set(_cases())


@needs("sby")
def test_stdp_unit_proven(tmp_path):
    r = prove(SynapseUpdateProperties(PlasticityParams(rule="stdp-add", **NARROW)), "stdp", tmp_path, depth=2)
    assert r["status"] == "PASS", r["log"]


@pytest.mark.parametrize("wrong", [pytest.param("a_plus", marks=pytest.mark.slow), "wrap"])
@needs("sby")
def test_proof_fails_against_a_different_or_wrapping_specification(tmp_path, wrong):
    p = PlasticityParams(rule="stdp-add", **NARROW | {"a_plus": 112})
    harness = (SynapseUpdateProperties(p, spec=p.replace(a_plus=111)) if wrong == "a_plus"
               else SynapseUpdateProperties(p, wrap=True))
    r = prove(harness, f"wrong_{wrong}", tmp_path, depth=2)
    assert r["status"] == "FAIL"


@pytest.mark.slow
@needs("sby")
@pytest.mark.parametrize("name", sorted(_cases()))
def test_every_plasticity_harness_proven(name, tmp_path):
    r = prove(_cases()[name], name.replace("-", "_"), tmp_path, depth=2)
    assert r["status"] == "PASS", r["log"]
