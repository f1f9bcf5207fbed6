"""G-set loader: every packaged graph loads with its header's counts; bad files name line and field."""

import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.gset import best_known, cut_value, gset_names, ising_couplings, known_gset, load_graph

SIZES = {"G1": (800, 19176), "G11": (800, 1600), "G14": (800, 4694), "G18": (800, 4694), "G22": (2000, 19990)}


@pytest.mark.parametrize("name", gset_names())
def test_packaged_graphs_load(name):
    g = load_graph(name)
    assert g.nodes in (800, 2000)
    if name in SIZES:
        assert (g.nodes, g.n_edges) == SIZES[name]
    assert g.edges[:, :2].min() >= 0 and g.edges[:, :2].max() < g.nodes
    assert set(np.unique(g.edges[:, 2])) <= {-1, 1}
    assert name in best_known()
    assert known_gset(name) == name


def test_cut_value_matches_matrix_form():
    g = load_graph("G11")
    rng = np.random.default_rng(0)
    s = rng.choice([-1, 1], size=(g.nodes, 3))
    W = g.weight_matrix()
    want = (g.edges[:, 2].sum() - np.einsum("ir,ir->r", s, W @ s) // 2) // 2
    assert np.array_equal(cut_value(g, s), want)
    assert cut_value(g, s[:, 0]) == want[0]
    J = ising_couplings(g)
    assert (J != J.T).nnz == 0 and J.diagonal().sum() == 0


def test_known_gset_needs_identical_bytes(tmp_path):
    f = tmp_path / "G11.txt"
    f.write_text("3 1\n1 2 1\n")
    assert known_gset(str(f)) is None


BAD = {
    "empty": ("", "graph"),
    "missing header": ("1 2 1\n", "header"),
    "header one token": ("5\n1 2 1\n", "header"),
    "wrong edge count": ("3 2\n1 2 1\n", "header.edges"),
    "node out of range": ("3 1\n1 4 1\n", "edge.j"),
    "node zero": ("3 1\n0 2 1\n", "edge.i"),
    "non-integer weight": ("3 1\n1 2 0.5\n", "edge.w"),
    "self loop": ("3 1\n2 2 1\n", "edge.j"),
    "non-integer header": ("3 x\n", "header.edges"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_name_line_and_field(tmp_path, case):
    text, field = BAD[case]
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(ParameterError) as e:
        load_graph(str(f))
    assert e.value.field == field
    if case not in ("empty",):
        assert "line" in str(e.value)


def test_missing_file():
    with pytest.raises(ParameterError):
        load_graph("no/such/file.txt")


def test_toroidal_grid_has_the_g_set_tori_shape_and_round_trips(tmp_path):
    """``toroidal_grid``: every node of degree 4, 2 x rows x cols edges of weight +-1, no edge twice,
    the same graph for the same seed; ``save_graph`` writes a file ``load_graph`` reads back equal;
    a 20 x 40 grid has G11's size (800 nodes, 1,600 edges); a grid below 3 x 3 is refused."""
    from neuroxide.models.gset import save_graph, toroidal_grid
    g = toroidal_grid(20, 40, 7)
    assert (g.nodes, g.n_edges) == SIZES["G11"]
    assert set(np.unique(g.degrees())) == {4} and set(np.unique(g.edges[:, 2])) == {-1, 1}
    pairs = {tuple(sorted(e)) for e in g.edges[:, :2].tolist()}
    assert len(pairs) == g.n_edges
    assert np.array_equal(toroidal_grid(20, 40, 7).edges, g.edges)
    assert not np.array_equal(toroidal_grid(20, 40, 8).edges, g.edges)
    back = load_graph(save_graph(g, tmp_path / "t.txt"))
    assert back.nodes == g.nodes and np.array_equal(back.edges, g.edges)
    with pytest.raises(ParameterError) as e:
        toroidal_grid(2, 40, 1)
    assert e.value.field == "torus"


def test_the_torus_reference_cut_is_near_the_best_known_of_g11_g13():
    """The +-J ground-state estimate (``benchmarks.onn.torus_reference_cut``) against G11-G13's best
    known cuts: within 2.5 % on these 800-node tori (its error shrinks with size)."""
    from neuroxide.benchmarks.onn import torus_reference_cut
    for name in ("G11", "G12", "G13"):
        ratio = best_known()[name] / torus_reference_cut(load_graph(name))
        assert 0.975 <= ratio <= 1.01, (name, ratio)
