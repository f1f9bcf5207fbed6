"""Max-cut on the oscillatory Ising machine: the fixed-point model, or the core's RTL under cocotb.

The ONN anneals on a graph (J = -W): injection locking at 2f binarises the phases into spins while
the noise decays; the best cut over the restarts is kept, with the clock cycles the core needs
(:func:`cycles_per_run`) and the time to solution at a clock (default: the measured ECP5 Fmax).
"""

from dataclasses import dataclass, field

from neuroxide.errors import ParameterError
from neuroxide.experiments.backends import Backend, check_backend
from neuroxide.experiments.checks import check_range
from neuroxide.models.onn import NAMED_SCHEDULES
from neuroxide.models.onn_registers import DEFAULT_LANES, LANE_CHOICES

__all__ = ["BACKENDS", "ECP5_FMAX_MHZ", "SCHEDULES", "MaxcutSetup", "MaxcutResult", "run_maxcut", "cycles_per_run",
           "core_cycles"]

BACKENDS = {
    Backend.MODEL: "fixed-point numpy model",
    Backend.RTL: "cocotb run of the core, checked step by step",
    Backend.BOARD: "the ONN core on a board, or on `neuroxide emulate onn-core`, at --port (host link)",
}
# Fmax of the sparse G22 onn-core with 8 lanes on ULX3S-85F (ECP5-85F), 83.9 MHz from nextpnr, measured
# with `neuroxide build onn-core --board ulx3s-85f -p graph=G22 -p lanes=8` (see docs/onn.md; the
# default 16-oscillator core reaches 112.5 MHz); the time to solution is the cycle count at this clock.
ECP5_FMAX_MHZ = 83.9
SCHEDULES = tuple(NAMED_SCHEDULES)  # the names `--schedule` takes


def cycles_per_run(cycles_per_sweep, sweeps):
    """Clock cycles of one anneal on the core: 1 start clock + sweeps * cycles_per_sweep."""
    return 1 + sweeps * cycles_per_sweep


def core_cycles(params, graph, sweeps, lanes=DEFAULT_LANES, colours=1, row_groups=1):
    """``(coupling words, clocks a sweep, clocks of one anneal)`` of ``graph`` on the sparse core
    with ``lanes`` lanes (``rtl.onn_core.cycles_per_step``: W + 11 + log2 lanes a sweep; in colour
    mode with ``colours`` colours W + colours (11 + log2 lanes)); ``row_groups`` = k > 1 (colour
    mode): the core with k row groups on the graph's row-group layout
    (``models.onn_registers.ColourLayout.of(J, row_groups=k, lanes=L)``), clocks a sweep
    ``rtl.onn_core.cycles_per_step_row_groups``, host words ``group_coupling_words``."""
    from neuroxide.models.gset import ising_couplings
    from neuroxide.rtl.onn_core import coupling_words, cycles_per_step
    J = ising_couplings(graph)
    if row_groups > 1:
        from neuroxide.models.onn_registers import ColourLayout
        from neuroxide.rtl.onn_core import cycles_per_step_row_groups, group_coupling_words
        layout = ColourLayout.of(J, row_groups=row_groups, lanes=lanes)
        Jp = layout.couplings(J)
        per_sweep = cycles_per_step_row_groups(Jp, False, lanes, layout.colour_rows, row_groups)
        return (len(group_coupling_words(params, Jp, False, lanes, row_groups)), per_sweep,
                cycles_per_run(per_sweep, sweeps))
    per_sweep = cycles_per_step(J, False, lanes, colours)
    return len(coupling_words(params, J, dense=False, lanes=lanes)), per_sweep, cycles_per_run(per_sweep, sweeps)


@dataclass(frozen=True)
class MaxcutSetup:
    """``graph``: a G-set name (G1..G22, packaged) or a graph file; ``sweeps``: steps of one anneal;
    ``restarts``: independent anneals, best kept (restart r uses ``seed + r``); ``fmax_mhz``: clock of
    the time to solution (None: :data:`ECP5_FMAX_MHZ`); ``lanes``: the core's multiply-accumulate
    lanes (the clock count; the result is the same for any); ``mode``: the core's update order,
    ``sync`` (every oscillator from the sweep's start) or ``colour`` (colour by colour, a greedy
    colouring: the second mode; model and rtl); ``schedule``: ``default`` (``anneal_params``) or
    ``tuned`` (``models.onn.TUNED_SCHEDULE``, chosen by the ``onn_tune`` bench part) or ``tts``
    (``models.onn.TTS_SCHEDULE``, for short anneals, chosen by the ``onn_tune_tts`` bench part);
    ``row_groups``: k oscillator updates a clock within a colour (colour mode; a power of two <=
    lanes): the clock count is the row-group core's, the cut the colour mode's (the order within a
    colour does not change it); the rtl back end simulates that core."""

    graph: str
    backend: Backend = Backend.MODEL
    sweeps: int = 2000
    restarts: int = 8
    seed: int = 1
    fmax_mhz: float | None = None
    lanes: int = DEFAULT_LANES
    port: str | None = None
    baud: int = 115200
    mode: str = "sync"
    schedule: str = "default"
    row_groups: int = 1

    def __post_init__(self):
        check_range("sweeps", self.sweeps, 1, 65535)
        check_range("restarts", self.restarts, 1, 1024)
        check_range("seed", self.seed, 0, 0xFFFF_FFFF)
        if isinstance(self.lanes, bool) or self.lanes not in LANE_CHOICES:
            raise ParameterError("lanes", self.lanes, " | ".join(map(str, LANE_CHOICES)))
        if self.fmax_mhz is not None:
            check_range("fmax_mhz", self.fmax_mhz, 0.001, 10_000.0, kind=float)
        object.__setattr__(self, "backend", check_backend(self.backend, BACKENDS))
        if self.backend is Backend.BOARD and not self.port:
            raise ParameterError("port", self.port, "a serial port (a board, or the path `neuroxide emulate` prints)")
        check_range("baud", self.baud, 300, 12_000_000)
        from neuroxide.models.onn import UPDATE_MODES
        if self.mode not in UPDATE_MODES:
            raise ParameterError("mode", self.mode, " | ".join(UPDATE_MODES))
        if self.schedule not in SCHEDULES:
            raise ParameterError("schedule", self.schedule, " | ".join(SCHEDULES))
        if self.mode != "sync" and self.backend is Backend.BOARD:
            raise ParameterError("mode", self.mode, "sync", why="the board back end drives a board built with the "
                                 "synchronous core (a colour-mode board: neuroxide build onn-core -p mode=colour, "
                                 "driven by boards.onn_host.ONNHost with its ColourLayout)")
        from neuroxide.models.onn_registers import check_row_groups
        check_row_groups(self.row_groups, self.lanes)
        if self.row_groups != 1 and self.mode != "colour":
            raise ParameterError("row_groups", self.row_groups, "1 in the synchronous mode",
                                 why="several updates a clock need --mode colour")
        if self.schedule != "default" and self.backend is Backend.BOARD:
            raise ParameterError("schedule", self.schedule, "default", why="the board back end loads the default schedule")

    @property
    def anneal_schedule(self):
        from neuroxide.models.onn import NAMED_SCHEDULES
        return NAMED_SCHEDULES[self.schedule]

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
    cycles_per_sweep: int
    cycles: int
    wall_s: float
    spins: object = field(default=None, repr=False)
    mismatches: int | None = None
    colours: int = 1

    @property
    def time_to_solution_s(self):
        fmax = self.setup.clock_mhz
        return self.cycles / (fmax * 1e6) if fmax else None

    def to_dict(self):
        s, known = self.setup, self.best_known
        out = {"graph": self.graph_name, "nodes": self.nodes, "edges": self.edges, "cut": int(self.cut),
               "best_known": known, "ratio": round(self.cut / known, 5) if known else None,
               "cuts": [int(c) for c in self.cuts], "backend": s.backend.value, "sweeps": s.sweeps,
               "restarts": s.restarts, "seed": s.seed, "cycles": self.cycles, "cycles_per_sweep": self.cycles_per_sweep, "lanes": s.lanes,
               "fmax_mhz": s.clock_mhz, "time_to_solution_s": self.time_to_solution_s,
               "couple_shift": self.couple_shift, "mode": s.mode, "colours": self.colours,
               "row_groups": s.row_groups, "schedule": s.schedule,
               "wall_s": round(self.wall_s, 3)}
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
    colours = 1
    if setup.backend is Backend.MODEL:
        if setup.mode == "sync" and setup.schedule == "default":
            res = _naming_graph(setup.graph, solve_maxcut, graph, setup.sweeps, setup.restarts, setup.seed)
        else:  # the compiled model (bit-exact with numpy) for the long tuned anneals
            res = _naming_graph(setup.graph, solve_maxcut, graph, setup.sweeps, setup.restarts, setup.seed, None, True,
                                "compiled", setup.mode, setup.anneal_schedule)
        cut, cuts, params, wall, spins = res.cut, res.cuts, res.params, res.wall_s, res.spins
        if setup.mode == "colour":
            from neuroxide.models.gset import greedy_colouring, ising_couplings
            colours = int(greedy_colouring(ising_couplings(graph)).max()) + 1
    elif setup.backend is Backend.BOARD:
        from neuroxide.experiments.board_backend import run_maxcut_on_board
        res = run_maxcut_on_board(graph, setup.sweeps, setup.restarts, setup.seed, setup.port, setup.baud,
                                  on_status=on_status)
        cut, cuts, params, wall, spins = res["cut"], res["cuts"], res["params"], res["wall_s"], res["spins"]
    else:
        from neuroxide.designs import configure
        from neuroxide.flow import simulate_design
        from neuroxide.testbench.runner import available_simulators
        sim = simulator or ("verilator" if "verilator" in available_simulators() else None)
        cuts, wall, mismatches, spins = [], 0.0, 0, None
        for r in range(setup.restarts):
            over = {}
            if setup.schedule != "default":
                from neuroxide.models.gset import ising_couplings
                sp_ = setup.anneal_schedule.params(ising_couplings(graph), setup.sweeps)
                over = {k: getattr(sp_, k) for k in ("phase_bits", "couple_max", "inj_max", "noise_max", "couple_shift",
                                                     "inj_rate", "noise_rate")}
            cfg = configure("onn-core", {"graph": str(setup.graph), "anneal_steps": setup.sweeps,
                                         "seed": (setup.seed + r) & 0xFFFF_FFFF, "lanes": setup.lanes,
                                         "mode": setup.mode, "row_groups": setup.row_groups} | over)
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
        if setup.mode == "colour":
            from neuroxide.models.gset import greedy_colouring, ising_couplings
            colours = int(greedy_colouring(ising_couplings(graph)).max()) + 1
        assert cut == cut_value(graph, spins)
    entries, per_sweep, one_anneal = core_cycles(params, graph, setup.sweeps, setup.lanes, colours, setup.row_groups)
    return MaxcutResult(setup, graph.name, graph.nodes, graph.n_edges, int(cut), [int(c) for c in cuts], known,
                        params.couple_shift, entries, per_sweep, setup.restarts * one_anneal, wall, spins, mismatches,
                        colours)
