"""Max-cut of a G-set graph on the fixed-point ONN, then the same anneal's cost on the core.

    python examples/maxcut.py [G11] [sweeps] [restarts]
"""

import sys

from neuroxide.experiments.maxcut import cycles_per_run
from neuroxide.models.gset import best_known, ising_couplings, load_graph
from neuroxide.models.onn import solve_maxcut
from neuroxide.rtl.onn_core import cycles_per_step

name = sys.argv[1] if len(sys.argv) > 1 else "G11"
sweeps = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
restarts = int(sys.argv[3]) if len(sys.argv) > 3 else 8

graph = load_graph(name)
res = solve_maxcut(graph, sweeps, restarts, seed=1)
known = best_known().get(graph.name)
per_sweep = cycles_per_step(ising_couplings(graph), False)
print(f"{graph.name}: {graph.nodes} nodes, {graph.n_edges} edges")
print(f"best cut {res.cut} of restarts {res.cuts}" + (f"; best known {known} ({100 * res.cut / known:.2f} %)" if known else ""))
print(f"on the core: {per_sweep} clocks per sweep, {restarts * cycles_per_run(per_sweep, sweeps)} clocks in all")
