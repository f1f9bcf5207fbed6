"""Max-cut on the oscillatory Ising machine: the fixed-point model, or the core's RTL under cocotb.

The ONN anneals on a graph (J = -W): injection locking at 2f binarises the phases into spins while
the noise decays; the best cut over the restarts is kept, with the clock cycles the core needs
(:func:`cycles_per_run`) and the time to solution at a clock (default: the measured ECP5 Fmax).
"""

from dataclasses import dataclass, field

from neuroxide.errors import ParameterError
from neuroxide.experiments.backends import Backend, check_backend
from neuroxide.experiments.checks import check_range

__all__ = ["BACKENDS", "ECP5_FMAX_MHZ", "MaxcutSetup", "MaxcutResult", "run_maxcut", "cycles_per_run",
           "core_cycles"]

BACKENDS = {
    Backend.MODEL: "fixed-point numpy model",
    Backend.RTL: "cocotb run of the core, checked step by step",
}
# Fmax of the sparse onn-core on ULX3S-85F (ECP5-85F) from nextpnr 44.95 MHz, measured with
# `neuroxide build onn-core --board ulx3s-85f -p graph=G22` (see docs/onn.md); the time to solution
# is the cycle count at this clock.
ECP5_FMAX_MHZ = 44.9


def cycles_per_run(entries, sweeps):
    """Clock cycles of one anneal on the core: 1 start clock + sweeps * (entries + 4)."""
    return 1 + sweeps * (entries + 4)


def core_cycles(params, graph, sweeps):
    """``(entries, cycles of one anneal)`` of ``graph`` on the sparse core: ``entries`` is the
    length of its adjacency list (``rtl.onn_core.coupling_words``), one clock each per sweep."""
    from neuroxide.models.gset import ising_couplings
    from neuroxide.rtl.onn_core import coupling_words
    entries = len(coupling_words(params, ising_couplings(graph), dense=False))
    return entries, cycles_per_run(entries, sweeps)


@dataclass(frozen=True)
class MaxcutSetup:
    """``graph``: a G-set name (G1..G22, packaged) or a graph file; ``sweeps``: steps of one anneal;
    ``restarts``: independent anneals, best kept (restart r uses ``seed + r``); ``fmax_mhz``: clock of
    the time to solution (None: :data:`ECP5_FMAX_MHZ`)."""

    graph: str
    backend: Backend = Backend.MODEL
    sweeps: int = 2000
    restarts: int = 8
    seed: int = 1
    fmax_mhz: float | None = None

    def __post_init__(self):
        check_range("sweeps", self.sweeps, 1, 65535)
        check_range("restarts", self.restarts, 1, 1024)
        check_range("seed", self.seed, 0, 0xFFFF_FFFF)
        if self.fmax_mhz is not None:
            check_range("fmax_mhz", self.fmax_mhz, 0.001, 10_000.0, kind=float)
        object.__setattr__(self, "backend", check_backend(self.backend, BACKENDS))

    @property
    def clock_mhz(self):
        return ECP5_FMAX_MHZ if self.fmax_mhz is None else self.fmax_mhz


@dataclass
class MaxcutResult:
    """Best cut over the restarts and what the core needs for it; ``spins`` (the best restart's
    +-1 per node) is not in the JSON; ``mismatches`` only on the ``rtl`` back end."""

    setup: MaxcutSetup
    graph_name: str
    nodes: int
    edges: int
    cut: int
    cuts: list
    best_known: int | None
    couple_shift: int
    entries: int
    cycles: int
    wall_s: float
    spins: object = field(default=None, repr=False)
    mismatches: int | None = None

    @property
    def time_to_solution_s(self):
        fmax = self.setup.clock_mhz
        return self.cycles / (fmax * 1e6) if fmax else None

    def to_dict(self):
        s, known = self.setup, self.best_known
        out = {"graph": self.graph_name, "nodes": self.nodes, "edges": self.edges, "cut": int(self.cut),
               "best_known": known, "ratio": round(self.cut / known, 5) if known else None,
               "cuts": [int(c) for c in self.cuts], "backend": s.backend.value, "sweeps": s.sweeps,
               "restarts": s.restarts, "seed": s.seed, "cycles": self.cycles, "cycles_per_sweep": self.entries + 4,
               "fmax_mhz": s.clock_mhz, "time_to_solution_s": self.time_to_solution_s,
               "couple_shift": self.couple_shift, "wall_s": round(self.wall_s, 3)}
        if s.backend is Backend.RTL:
            out["mismatches"] = self.mismatches
        return out


def _naming_graph(source, func, *args):
    """``func(*args)``; a ParameterError on a derived field (the coupling scale the weights need)
    names the graph whose edge weights set it."""
    try:
        return func(*args)
    except ParameterError as exc:
        if exc.field.startswith(("graph", "header", "edge")):
            raise
        why = (f"{exc.why}; " if exc.why else "") + f"set by the edge weights of graph {source}"
        raise ParameterError(exc.field, exc.value, exc.allowed, why=why) from None


def run_maxcut(setup, simulator=None, build_dir="build/maxcut", on_status=None):
    """Anneal ``setup.graph`` -> :class:`MaxcutResult`.

    ``simulator`` of the ``rtl`` back end (default: Verilator when installed, else the runner's
    default); ``on_status(text)`` hears a line before each RTL restart.
    """
    import numpy as np

    from neuroxide.models.gset import best_known, cut_value, known_gset, load_graph
    from neuroxide.models.onn import solve_maxcut
    graph = load_graph(setup.graph)
    gset_name = known_gset(setup.graph)
    known = best_known().get(gset_name) if gset_name else None
    mismatches = None
    if setup.backend is Backend.MODEL:
        res = _naming_graph(setup.graph, solve_maxcut, graph, setup.sweeps, setup.restarts, setup.seed)
        cut, cuts, params, wall, spins = res.cut, res.cuts, res.params, res.wall_s, res.spins
    else:
        from neuroxide.designs import configure
        from neuroxide.flow import simulate_design
        from neuroxide.testbench.runner import available_simulators
        sim = simulator or ("verilator" if "verilator" in available_simulators() else None)
        cuts, wall, mismatches, spins = [], 0.0, 0, None
        for r in range(setup.restarts):
            cfg = configure("onn-core", {"graph": str(setup.graph), "anneal_steps": setup.sweeps,
                                         "seed": (setup.seed + r) & 0xFFFF_FFFF})
            if on_status:
                on_status(f"maxcut: RTL restart {r + 1}/{setup.restarts} on {sim or 'default simulator'}")
            out = simulate_design(cfg, sim, setup.sweeps, build_dir)
            mismatches += out["mismatches"]
            wall += out["wall_s"]
            cuts.append(int(out["cut"]))
            if spins is None or cuts[-1] == max(cuts):
                spins = np.array(out["spins"])
        params = cfg.params
        cut = max(cuts)
        assert cut == cut_value(graph, spins)
    entries, one_anneal = core_cycles(params, graph, setup.sweeps)
    return MaxcutResult(setup, graph.name, graph.nodes, graph.n_edges, int(cut), [int(c) for c in cuts], known,
                        params.couple_shift, entries, setup.restarts * one_anneal, wall, spins, mismatches)
