"""G-set max-cut graphs: loader, best-known cuts, Ising couplings and cut values.

File format (``models/data/gset/README.md``): a header line ``N E`` (an extra token after E, such
as G1's ``J``, is ignored), then ``E`` lines ``i j w`` with 1-based vertex ids and an integer weight.
Blank lines are skipped; CRLF and a UTF-8 byte-order mark are fine; weights are 32-bit signed
integers. Anything else is a :class:`ParameterError` naming the file,
the line number and the field.

Max-cut as an Ising problem: with spins ``s`` in {-1, +1}, ``cut(s) = sum_edges w (1 - s_i s_j) / 2``,
so maximising the cut is minimising ``E(s) = -1/2 s^T J s`` with ``J = -W`` (antiferromagnetic
couplings on the edges): ``cut = (W_total - s^T W s / 2) / 2``.
"""

import csv
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from neuroxide.errors import ParameterError

__all__ = ["Graph", "load_graph", "greedy_colouring", "check_colouring", "colour_classes", "known_gset", "gset_names", "gset_path", "is_gset_name", "best_known", "cut_value", "ising_couplings",
           "random_couplings", "couplings_of", "toroidal_grid", "save_graph"]

GSET_NAMES = tuple(f"G{k}" for k in range(1, 23))
MAX_NODES = 1 << 16
MAX_WEIGHT = (1 << 31) - 1  # |w|: G-set weights are +-1; 32-bit keeps every sum of weights far inside int64
MAX_DIGITS = 30             # longer numbers in a graph file are refused before int() (which caps at 4300)


@dataclass(frozen=True)
class Graph:
    """An undirected weighted graph: ``edges`` is an (E, 3) int64 array of 0-based ``i, j, w``."""

    name: str
    nodes: int
    edges: np.ndarray

    @property
    def n_edges(self):
        return len(self.edges)

    def weight_matrix(self):
        """Symmetric sparse ``W`` (CSR, int64); parallel edges add up."""
        i, j, w = self.edges.T
        m = sp.coo_matrix((np.concatenate([w, w]), (np.concatenate([i, j]), np.concatenate([j, i]))),
                          shape=(self.nodes, self.nodes), dtype=np.int64)
        return m.tocsr()

    def degrees(self):
        return np.bincount(self.edges[:, :2].ravel(), minlength=self.nodes)


def gset_names():
    return GSET_NAMES


def is_gset_name(source):
    """``source`` names a packaged graph (``"G22"``) rather than a file (a file of that name wins)."""
    return isinstance(source, str) and source in GSET_NAMES and not Path(source).exists()


def gset_path(name):
    """Path of a packaged G-set graph (``G1``..``G22``)."""
    if name not in GSET_NAMES:
        raise ParameterError("graph", name, "G1..G22 or a graph file path")
    return Path(str(resources.files("neuroxide.models") / "data" / "gset" / f"{name}.txt"))


def best_known():
    """``{name: best-known cut}`` of G1..G22 (data/gset/best_known.csv)."""
    path = resources.files("neuroxide.models") / "data" / "gset" / "best_known.csv"
    with path.open() as f:
        return {row["Instance"]: int(row["Value"]) for row in csv.DictReader(f)}


def _short(text, limit=60):
    """``text`` cut to ``limit`` characters for a message (a line of 10**6 fields stays readable)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _int(text, path, lineno, field):
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ParameterError(field, _short(text), "an integer", why=f"{path}: line {lineno}")
    if len(text.lstrip("+-")) > MAX_DIGITS:
        raise ParameterError(field, _short(text), f"an integer of at most {MAX_DIGITS} digits",
                             why=f"{path}: line {lineno}")
    return int(text)


def load_graph(source):
    """Load a G-set style graph from a path, or a packaged G-set name (``"G22"``).

    The header is checked before the edge lines are parsed, so a file whose header is wrong fails
    at once however large it is. A UTF-8 byte-order mark is ignored.
    """
    if is_gset_name(source):
        path = gset_path(source)
    else:
        path = Path(source)
    if not path.is_file():
        raise ParameterError("graph", str(source), "G1..G22 or an existing graph file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ParameterError("graph", str(path), "a text file of 'N E' then 'i j w' lines",
                             why="not text") from None
    lines = text.splitlines()
    hline = next((k for k, line in enumerate(lines) if line.strip()), None)
    if hline is None:
        raise ParameterError("graph", str(path), "a header line 'N E' followed by E edge lines", why="empty file")
    head = lines[hline].split()
    hline += 1  # 1-based line number from here on
    if len(head) < 2:
        raise ParameterError("header", _short(" ".join(head)), "'N E' (node count, edge count)",
                             why=f"{path}: line {hline}")
    if len(head) >= 3 and re.fullmatch(r"[+-]?\d+", head[2]):
        raise ParameterError("header", _short(" ".join(head)), "'N E' (node count, edge count)",
                             why=f"{path}: line {hline} looks like an edge 'i j w': the header is missing")
    nodes = _int(head[0], path, hline, "header.nodes")
    n_edges = _int(head[1], path, hline, "header.edges")
    if not 1 <= nodes <= MAX_NODES:
        raise ParameterError("header.nodes", nodes, f"1..{MAX_NODES}", why=f"{path}: line {hline}")
    if n_edges < 0:
        raise ParameterError("header.edges", n_edges, ">= 0", why=f"{path}: line {hline}")
    body = [(k + 1, toks) for k, line in enumerate(lines[hline:], start=hline) if (toks := line.split())]
    if len(body) != n_edges:
        raise ParameterError("header.edges", n_edges, f"the number of edge lines ({len(body)})",
                             why=f"{path}: line {hline} promises {n_edges} edges, the file has {len(body)}")
    try:  # fast path; any problem falls through to the line-by-line check that names the line
        edges = np.array([toks for _, toks in body], dtype=np.int64).reshape(n_edges, 3)
        ij = edges[:, :2]
        if n_edges == 0 or (ij.min() >= 1 and ij.max() <= nodes and not np.any(ij[:, 0] == ij[:, 1])
                            and np.abs(edges[:, 2]).max() <= MAX_WEIGHT):
            edges[:, :2] -= 1
            return Graph(path.stem, nodes, edges)
    except (ValueError, OverflowError):
        pass
    edges = np.empty((n_edges, 3), dtype=np.int64)
    for row, (lineno, toks) in enumerate(body):
        if len(toks) != 3:
            raise ParameterError("edge", _short(" ".join(toks)), "'i j w' (three integers)",
                                 why=f"{path}: line {lineno}")
        i = _int(toks[0], path, lineno, "edge.i")
        j = _int(toks[1], path, lineno, "edge.j")
        w = _int(toks[2], path, lineno, "edge.w")
        for field, v in (("edge.i", i), ("edge.j", j)):
            if not 1 <= v <= nodes:
                raise ParameterError(field, v, f"1..{nodes}", why=f"{path}: line {lineno}: vertex id out of range")
        if i == j:
            raise ParameterError("edge.j", j, f"a vertex other than {i}", why=f"{path}: line {lineno}: self loop")
        if not -MAX_WEIGHT <= w <= MAX_WEIGHT:
            raise ParameterError("edge.w", w, f"-{MAX_WEIGHT}..{MAX_WEIGHT}", why=f"{path}: line {lineno}")
        edges[row] = (i - 1, j - 1, w)
    return Graph(path.stem, nodes, edges)


def cut_value(graph, spins):
    """Cut of spin vector(s) ``spins`` (+-1, shape (N,) or (N, R)): sum w (1 - s_i s_j) / 2."""
    s = np.asarray(spins, dtype=np.int64)
    i, j, w = graph.edges.T
    if s.ndim == 1:
        return int(np.sum(w * (1 - s[i] * s[j])) // 2)
    return (np.sum(w[:, None] * (1 - s[i] * s[j]), axis=0) // 2).astype(np.int64)


def ising_couplings(graph):
    """``J = -W`` (sparse CSR): max-cut is the ground state of ``E = -1/2 s^T J s``."""
    return -graph.weight_matrix()


def random_couplings(n, density_pct, seed):
    """Symmetric +-1 couplings with ``density_pct`` % of pairs coupled (numpy Generator(seed))."""
    rng = np.random.default_rng(seed)
    a = rng.choice([-1, 1], size=(n, n)) * (rng.random((n, n)) * 100 < density_pct)
    a = np.triu(a, 1)
    return sp.csr_matrix(a + a.T, dtype=np.int64)


def toroidal_grid(rows, cols, seed, name=None):
    """A 2-D toroidal grid of ``rows`` x ``cols`` nodes with a random +-1 weight on each of its
    ``2 rows cols`` edges (numpy Generator(seed)): the shape of the G-set tori (G11-G13: 800 nodes;
    G81: 20,000 nodes, 40,000 edges), not their weights, so not their best-known cuts. Node ``r cols +
    c`` (0-based) joins ``(r, c + 1)`` and ``(r + 1, c)``, both modulo the grid."""
    if rows < 3 or cols < 3:
        raise ParameterError("torus", (rows, cols), "at least 3 x 3 (smaller grids have parallel edges)")
    rng = np.random.default_rng(seed)
    edges = []
    for r in range(rows):
        for c in range(cols):
            k = r * cols + c
            edges.append((k, r * cols + (c + 1) % cols, int(rng.choice([-1, 1]))))
            edges.append((k, ((r + 1) % rows) * cols + c, int(rng.choice([-1, 1]))))
    return Graph(name or f"torus{rows}x{cols}-s{seed}", rows * cols, np.asarray(edges, dtype=np.int64))


def save_graph(graph, path):
    """``graph`` as a G-set text file (header ``N E``, then 1-based ``i j w`` lines): what
    :func:`load_graph` and ``-p graph=FILE`` read."""
    lines = [f"{graph.nodes} {graph.n_edges}"] + [f"{i + 1} {j + 1} {w}" for i, j, w in graph.edges.tolist()]
    Path(path).write_text("\n".join(lines) + "\n")
    return path


def couplings_of(cfg):
    """``(J, graph or None)`` of an ONN core configuration dict (keys ``graph, n, density, seed,
    dense``): the Ising couplings of the graph when one is named, else :func:`random_couplings`;
    J sparse, or dense if ``cfg["dense"]``."""
    graph = None
    if cfg.get("graph"):
        graph = load_graph(cfg["graph"])
        J = ising_couplings(graph)
    else:
        J = random_couplings(cfg["n"], cfg["density"], cfg["seed"])
    if cfg["dense"]:
        J = J.toarray()
    return J, graph


def known_gset(source):
    """The G-set name whose packaged file has the same bytes as ``source`` (a name or path), or None."""
    import hashlib
    path = gset_path(source) if is_gset_name(source) else Path(source)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    sums = resources.files("neuroxide.models") / "data" / "gset" / "SHA256SUMS"
    for line in sums.read_text().splitlines():
        h, _, name = line.partition("  ")
        if h == digest:
            return Path(name.strip()).stem
    return None


def greedy_colouring(J):
    """A proper colouring of the coupling graph of ``J`` (sparse or dense; the diagonal ignored):
    int64 array of colours 0..C-1, no two coupled oscillators share a colour. DSatur (Brelaz 1979):
    repeatedly colour the uncoloured vertex with the most distinct colours among its neighbours
    (ties: most uncoloured neighbours, then lowest index) with the lowest colour free there. Exact
    (2 colours) on bipartite graphs such as the even tori G11-G13; deterministic."""
    import heapq
    A = sp.csr_matrix(J)
    n = A.shape[0]
    A = (A != 0).astype(np.int8).tocsr()
    A.setdiag(0)
    A.eliminate_zeros()
    A = ((A + A.T) != 0).tocsr()  # an asymmetric J still couples both ways in one row or the other
    indptr, indices = A.indptr, A.indices
    colour = np.full(n, -1, dtype=np.int64)
    seen = [set() for _ in range(n)]          # colours among the coloured neighbours
    free_deg = np.diff(indptr).astype(np.int64)  # uncoloured neighbours
    heap = [(0, -int(free_deg[i]), i) for i in range(n)]
    heapq.heapify(heap)
    while heap:
        sat, negdeg, i = heapq.heappop(heap)
        if colour[i] >= 0 or -sat != len(seen[i]) or -negdeg != free_deg[i]:
            continue  # a stale entry (a fresher one is in the heap)
        c = 0
        while c in seen[i]:
            c += 1
        colour[i] = c
        for j in indices[indptr[i]:indptr[i + 1]]:
            if colour[j] < 0:
                seen[j].add(c)
                free_deg[j] -= 1
                heapq.heappush(heap, (-len(seen[j]), -int(free_deg[j]), int(j)))
    return colour


def check_colouring(J, colours):
    """``colours`` as an int64 array if it is a proper colouring of ``J``'s coupling graph (one
    colour 0..C-1 per oscillator, every colour used, no off-diagonal coupling inside a colour), else
    ParameterError naming the first coupled pair that shares a colour."""
    n = J.shape[0]
    c = np.asarray(colours)
    if c.shape != (n,) or not np.issubdtype(c.dtype, np.integer):
        raise ParameterError("colours", f"shape {c.shape}", f"one integer colour per oscillator ({n})")
    c = c.astype(np.int64)
    k = int(c.max()) + 1 if n else 0
    if n and (c.min() < 0 or len(np.unique(c)) != k):
        raise ParameterError("colours", f"{sorted(set(c.tolist()))[:8]}", "0..C-1, every colour used")
    A = sp.coo_matrix(J)
    clash = (A.row != A.col) & (A.data != 0) & (c[A.row] == c[A.col])
    if clash.any():
        e = int(np.argmax(clash))
        raise ParameterError("colours", f"oscillators {int(A.row[e])} and {int(A.col[e])} coupled, both colour "
                             f"{int(c[A.row[e]])}", "a proper colouring (no coupled pair shares a colour)")
    return c


def colour_classes(colours):
    """``(order, bounds)``: the oscillators sorted by colour (ascending index within a colour) and
    the colour boundaries, colour k = ``order[bounds[k]:bounds[k + 1]]``."""
    c = np.asarray(colours, dtype=np.int64)
    order = np.argsort(c, kind="stable").astype(np.int64)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(c, minlength=int(c.max()) + 1 if len(c) else 0))])
    return order, bounds.astype(np.int64)
