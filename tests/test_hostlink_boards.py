"""Place and route of the host link demo (HostLinkTop + RegisterFileCore) on both boards."""

import pytest

from neuroxide.designs import configure
from neuroxide.flow import build_design
from support.tools import board_flow, needs


@pytest.mark.board
@pytest.mark.slow  # the default suite builds the lif top on both boards; these run in make test-boards / test-slow
@pytest.mark.parametrize("board, lut_cell", [
    pytest.param(b, cell, marks=needs(board_flow(b)))
    for b, cell in (("icebreaker", "ICESTORM_LC"), ("ulx3s-85f", "TRELLIS_COMB"))])
def test_hostlink_builds(board, lut_cell, tmp_path):
    res = build_design(configure("hostlink", {}), board, tmp_path)
    assert res["lut_cell"] == lut_cell and res["luts"] > 100 and res["brams"] >= 1
    assert res["timing_met"], res["fmax"]
