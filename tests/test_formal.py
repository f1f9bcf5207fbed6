"""Formal proofs (SymbiYosys, k-induction) of the LIF datapath; `make formal` proves every harness.

The default suite proves one configuration with every feature on and shows the harness can fail:
a specification with a different leak factor must not be provable against the same gates.
"""

import pytest

from neuroxide.models.lif import LIFParams
from neuroxide.testbench.formal import HARNESSES, LIFProperties, prove
from support.tools import needs

pytestmark = needs("sby")

ALL_ON = LIFParams(noise_bits=6, adapt_inc=180, adapt_shift=5, t_ref=3, reset_mode="subtract", v_min=-6000)


def test_lif_properties_proven_with_every_feature_on(tmp_path):
    r = prove(LIFProperties(ALL_ON), "lif_all", tmp_path, depth=3)
    assert r["status"] == "PASS", r["log"]


@pytest.mark.parametrize("wrong", [{"decay": ALL_ON.decay - 1}, {"t_ref": 2}, {"adapt_shift": 4}, {"v_th": 4095}])
def test_lif_proof_fails_against_a_different_specification(tmp_path, wrong):
    r = prove(LIFProperties(ALL_ON, spec=ALL_ON.replace(**wrong)), "lif_wrong", tmp_path, depth=3)
    assert r["status"] == "FAIL"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HARNESSES["lif"]()))
def test_every_lif_harness_proven(tmp_path, name):
    r = prove(HARNESSES["lif"]()[name], name.replace("-", "_"), tmp_path, depth=3)
    assert r["status"] == "PASS", r["log"]
