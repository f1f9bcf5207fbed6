"""Formal proofs (SymbiYosys k-induction, z3) of the Hodgkin-Huxley datapath (rtl/hh.py).

Default suite: one narrow configuration proven on every property but the slow current-sum stage,
and specifications that differ from the gates in one constant must FAIL. ``-m slow``: every
harness of the ``hh`` group (what ``python -m neuroxide.testbench.formal --only hh`` proves) and
more negative specifications.
"""

import pytest

from neuroxide.testbench.formal import prove
from neuroxide.testbench.formal_hh import HARNESSES, HHProperties, narrow, wrong_spec
from support.tools import require

QUICK = tuple(c for c in HHProperties.CHECKS if c != "cut:i_ion")


def _prove(harness, name, tmp_path, timeout_s=300):
    require("sby")
    return prove(harness, name, tmp_path, depth=harness.formal_depth, timeout_s=timeout_s)


def test_hh_group_is_discovered_by_the_formal_runner():
    from neuroxide.testbench.formal import harness_groups
    harnesses, properties = harness_groups()
    assert "hh" in harnesses and properties["hh"]
    assert set(harnesses["hh"]()) == set(HARNESSES["hh"]())


def test_hh_narrow_proven(tmp_path):
    r = _prove(HHProperties(narrow(lut_v_lo=-70.0), checks=QUICK), "hh_quick", tmp_path, timeout_s=120)
    assert r["status"] == "PASS", r["log"]


def test_hh_proof_fails_against_a_different_table_entry(tmp_path):
    k = narrow(lut_v_lo=-70.0)
    h = HHProperties(k, spec=wrong_spec(k, tables={"db_m": (6, 1)}), checks=QUICK)
    assert _prove(h, "hh_wrong_table", tmp_path, timeout_s=120)["status"] == "FAIL"


@pytest.mark.slow
@pytest.mark.parametrize("wrong", [{"lut_lo": 16}, {"k_l": 1}, {"tables": {"a_m": (3, 1)}},
                                   {"tables": {"db_n": (5, -1)}}])
def test_hh_proof_fails_against_a_different_constant(tmp_path, wrong):
    k = narrow(g_frac=8, k_bits=10, lut_frac=1, lut_v_lo=-66.0)
    r = _prove(HHProperties(k, spec=wrong_spec(k, **wrong)), "hh_wrong", tmp_path)
    assert r["status"] == "FAIL"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HARNESSES["hh"]()))
def test_every_hh_harness_proven(tmp_path, name):
    harness = HARNESSES["hh"]()[name]
    r = _prove(harness, name.replace("-", "_"), tmp_path, timeout_s=600)
    assert r["status"] == "PASS", r["log"]


def test_observing_adds_only_the_observed_port():
    """The harness reads the cut points through ``observe``; without it the datapath is the shipped one."""
    from neuroxide.rtl.hh import HHNeuron
    from neuroxide.testbench.formal_hh import CUT_POINTS
    k = narrow(lut_v_lo=-70.0)
    shipped, observed = HHNeuron(k), HHNeuron(k, observe=CUT_POINTS)
    assert set(observed.signature.members) - set(shipped.signature.members) == {"observed"}
    assert [name for name, _ in observed.signature.members["observed"].shape] == list(CUT_POINTS)
    with pytest.raises(ValueError, match="not intermediate values of hh_step"):
        HHNeuron(k, observe=("no_such_value",))
