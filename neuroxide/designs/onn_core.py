"""``onn-core``: the oscillatory neural network core (phase oscillators, BRAM couplings, annealing).

The couplings come from a G-set graph (``-p graph=G11`` or a file path: J = -W, max-cut) or, without
one, from a random symmetric +-1 graph of ``n`` nodes and ``density`` (seeded). The cocotb bench
(testbench/onn_bench.py) runs the core free in chunks and compares every oscillator's phase and
PRNG state, and the energy, with ``neuroxide.models.onn.ONNModel`` at every step.

``-p mode=colour`` (default ``sync``: the synchronous core, as ``neuroxide maxcut --mode``) builds
the second update order: the host colours the graph (``models.gset.greedy_colouring``), permutes the
rows so every colour is contiguous (``models.onn_registers.ColourLayout``) and builds the core with
``colour_rows``; its power-up state is the seed's, moved with the nodes, so the core seen in the
graph's node order is ``ONNModel(params, J, seed, colours=greedy_colouring(J))``, the model
``neuroxide maxcut G --mode colour`` runs, and the bench compares it with exactly that.

``-p row_groups=k`` (colour mode only; a power of two <= lanes; default 1) builds the core with k
row groups (k oscillator updates a clock within a colour, ``ONNCore(..., row_groups=k)``): the rows
of each colour are ordered so the groups' coupling words balance
(``ColourLayout.of(J, row_groups=k, lanes=L)``), the power-up state again the seed's moved with the
nodes, so the core seen in node order is the same colour-mode model; only the clocks differ
(``rtl.onn_core.cycles_per_step_row_groups``).
"""

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuroxide.designs import Design
from neuroxide.errors import ParameterError
from neuroxide.models.gset import couplings_of
from neuroxide.models.hostlink import BAUD_PARAM, DEFAULT_BAUD
from neuroxide.models.onn import PARAM_DOCS, UPDATE_MODES, ONNParams
from neuroxide.models.onn_registers import DEFAULT_LANES, LANE_CHOICES
from neuroxide.overrides import check_int_params, check_known

__all__ = ["ONNDesignConfig", "ONNCoreDesign", "DESIGN"]

MAX_DENSE = 1024
# the random graph (no graph file) is drawn as an n x n matrix: beyond this, give a graph file
# (G-set, G81: any size; a board refuses what does not fit its block RAM)
MAX_RANDOM = 2048
DEFAULT_CHUNK = 64
TRACE_ENTRIES = 1 << 17  # the bench's trace memory: at most this many oscillator updates a chunk
# the model a bench compares with (a negative control names another): sync, colour, or colour with
# the colours in reverse order
MODEL_MODES = UPDATE_MODES + ("colour-reversed",)

GLOBAL_PARAMS = {
    "n": ("oscillators of the random graph (ignored when graph is given; larger networks: -p graph=FILE)",
          16, 2, MAX_RANDOM),
    "dense": ("1: all-to-all coupling memory (N*N words), 0: adjacency list", 0, 0, 1),
    "seed": ("PRNG seed (initial phases and noise)", 1, 0, 0xFFFF_FFFF),
    "density": ("percent of node pairs coupled in the random graph (no graph given)", 30, 1, 100),
    "anneal_steps": ("steps over which noise decays and injection ramps (sets the rates)", 200, 1, 65535),
    "lanes": ("multiply-accumulates a clock over banked coupling RAM (a power of two)", DEFAULT_LANES, 1,
              LANE_CHOICES[-1]),
    "baud": BAUD_PARAM,
    "row_groups": ("oscillator updates a clock within a colour (-p mode=colour; a power of two <= lanes)", 1, 1,
                   LANE_CHOICES[-1]),
}


@dataclass(frozen=True)
class ONNDesignConfig:
    design: str
    params: ONNParams
    n: int
    dense: int
    seed: int
    density: int
    graph: str | None
    anneal_steps: int
    lanes: int = DEFAULT_LANES
    baud: int = DEFAULT_BAUD
    mode: str = "sync"
    row_groups: int = 1

    def to_dict(self):
        return {"design": self.design, "n": self.n, "dense": self.dense, "seed": self.seed, "density": self.density,
                "graph": self.graph, "anneal_steps": self.anneal_steps, "lanes": self.lanes,
                "baud": self.baud, "mode": self.mode, "row_groups": self.row_groups,
                "params": dataclasses.asdict(self.params)}


def check_graph_weights(graph, weight_bits):
    """ParameterError naming the first edge whose coupling (J = -w) is outside ``weight_bits``."""
    lo, hi = -(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1
    J = -graph.edges[:, 2]
    bad = np.nonzero((J < lo) | (J > hi))[0]
    if len(bad):
        k = int(bad[0])
        i, j, w = (int(x) for x in graph.edges[k])
        raise ParameterError(f"edge {k + 1}", f"{i + 1} {j + 1} {w}", f"coupling -w in {lo}..{hi}",
                             why=f"weight_bits={weight_bits}; edge {k + 1} (i j w, 1-based) of graph {graph.name}")


class ONNCoreDesign(Design):
    name = "onn-core"
    summary = "oscillatory neural network: phase oscillators, BRAM couplings (dense/sparse), SHIL annealing"
    model = "neuroxide.models.onn.ONNModel"
    rtl = "neuroxide.rtl.onn_core.ONNCore"

    def parameter_table(self):
        rows = [(k, d, f"{doc}, {lo}..{hi}") for k, (doc, d, lo, hi) in GLOBAL_PARAMS.items()]
        rows.append(("graph", None, "G-set name (G1..G22) or graph file; J = -W (max-cut)"))
        rows.append(("mode", "sync", "update order: sync (every oscillator from the step's start) | colour (greedy "
                     "colouring, rows permuted by colour, colour by colour: as neuroxide maxcut --mode)"))
        for f in dataclasses.fields(ONNParams):
            rows.append((f.name, f.default, PARAM_DOCS[f.name] + ("; default set from anneal_steps"
                                                                  if f.name in ("inj_rate", "noise_rate") else "")))
        return rows

    def configure(self, overrides):
        from neuroxide.models.onn import anneal_params, check_couplings
        names = set(ONNParams.field_names())
        check_known(self.name, overrides, set(GLOBAL_PARAMS) | names | {"graph", "mode"})
        mode = overrides.get("mode", "sync")
        if mode not in UPDATE_MODES:
            raise ParameterError("mode", mode, " | ".join(UPDATE_MODES))
        glob = check_int_params(GLOBAL_PARAMS, overrides)
        kw = {k: v for k, v in overrides.items() if k in names}
        for k, v in kw.items():
            if isinstance(v, bool) or not isinstance(v, int):
                raise ParameterError(k, v, "an integer")
        graph = overrides.get("graph")
        if graph is not None:
            graph = str(graph)
        if graph is not None:
            from pathlib import Path

            from neuroxide.models.gset import ising_couplings, is_gset_name, load_graph
            from neuroxide.models.onn import auto_couple_shift
            g = load_graph(graph)
            if not is_gset_name(graph):  # a file: absolute, as the cocotb bench runs in its own folder
                graph = str(Path(graph).resolve())
            if "couple_shift" not in kw:  # the max-cut default for this graph
                kw["couple_shift"] = auto_couple_shift(ising_couplings(g))
            # (a +-1 graph such as the G-set fits -p weight_bits=2: 2-bit coupling fields; the default
            # stays the model's 5 bits, which host drivers assume for the word layout)
            check_graph_weights(g, kw.get("weight_bits", ONNParams().weight_bits))
        base = ONNParams(**{k: v for k, v in kw.items() if k not in ("inj_rate", "noise_rate")})
        params = anneal_params(glob["anneal_steps"], base)
        params = params.replace(**{k: v for k, v in kw.items() if k in ("inj_rate", "noise_rate")})
        from neuroxide.models.onn_registers import check_lanes, check_row_groups
        check_lanes(glob["lanes"])
        if glob["row_groups"] != 1 and mode != "colour":
            raise ParameterError("row_groups", glob["row_groups"], "1 in the synchronous mode",
                                 why="several updates a clock need -p mode=colour")
        check_row_groups(glob["row_groups"], glob["lanes"])
        cfg = ONNDesignConfig(self.name, params, glob["n"], glob["dense"], glob["seed"], glob["density"], graph,
                              glob["anneal_steps"], glob["lanes"], glob["baud"], mode, glob["row_groups"])
        J, g = couplings_of(cfg.to_dict())
        if g is not None:
            cfg = dataclasses.replace(cfg, n=g.nodes)
        if cfg.dense and cfg.n > MAX_DENSE:
            raise ParameterError("n", cfg.n, f"2..{MAX_DENSE} in dense mode")
        check_couplings(params, J)
        return cfg

    def elaborate(self, cfg):
        from neuroxide.boards.onn_host import onn_core_of
        return onn_core_of(cfg)

    def simulate(self, cfg, simulator, steps, build_dir, waves=None, progress=None, chunk=DEFAULT_CHUNK,
                 model_params=None, model_mode=None):
        from amaranth.back import verilog

        from neuroxide.testbench.onn_top import ONNBenchTop
        from neuroxide.testbench.runner import run_bench
        if not isinstance(chunk, int) or not 1 <= chunk <= 4096:
            raise ParameterError("chunk", chunk, "1..4096")
        # the trace memory holds chunk x n updates: capped, as its Verilog (and Verilator's model) grow
        # with it (a 20,000-oscillator core at chunk 64 took 10 minutes to convert)
        chunk = min(chunk, steps, max(1, TRACE_ENTRIES // cfg.n))
        t0 = time.perf_counter()
        J, _ = couplings_of(cfg.to_dict())
        from neuroxide.boards.onn_host import onn_core_of
        top = ONNBenchTop(cfg.params, cfg.n, J, bool(cfg.dense), cfg.seed, chunk, cfg.lanes, core=onn_core_of(cfg))
        text = verilog.convert(top, name="onn_bench", emit_src=False)
        config = cfg.to_dict() | {"steps": steps, "chunk": chunk}
        if model_params is not None:
            config["model_params"] = dataclasses.asdict(model_params)
        if model_mode is not None:  # compare with another update order (negative control)
            if model_mode not in MODEL_MODES:
                raise ParameterError("model_mode", model_mode, " | ".join(MODEL_MODES))
            config["model_mode"] = model_mode
        bench = run_bench(simulator, text, "onn_bench", "neuroxide.testbench.onn_bench", config,
                          Path(build_dir) / simulator, waves=waves, progress=progress)
        out = {"design": cfg.design, "simulator": simulator, "wall_s": round(time.perf_counter() - t0, 3)}
        out |= {k: bench.get(k) for k in ("steps", "cycles", "mismatches", "field_mismatches", "first_mismatch",
                                          "oscillators", "cycles_per_s", "build_s", "free_run_s", "trace_read_s",
                                          "final_energy", "cut", "spins", "mode", "colours", "row_groups")}
        out["neurons"] = bench.get("oscillators")
        out["spikes"] = bench.get("spin_flips")  # the CLI's event count: spin flips (binarised phase changes)
        out["waves"] = str(waves) if waves else None
        return out

    def board_top(self, cfg, board):
        from neuroxide.boards.onn_host import onn_board_top
        return onn_board_top(cfg, board, baud=cfg.baud)


DESIGN = ONNCoreDesign()
