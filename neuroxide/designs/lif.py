"""``lif``: a vector of n fixed-point LIF neurons driven by on-chip pseudo-random stimulus.

The cocotb bench (testbench/top.py) runs the array free for chunks of steps and records the full
state of every neuron at every step in a trace memory; the board top blinks LEDs on spikes.
"""

import dataclasses
from dataclasses import dataclass

from neuroxide.designs import Design
from neuroxide.errors import ParameterError
from neuroxide.models.lif import PARAM_DOCS, LIFParams
from neuroxide.models.stimulus import STIM_DOCS, StimulusParams
from neuroxide.overrides import check_int_params, check_known
from neuroxide.testbench.runner import simulate_chunked

__all__ = ["DesignConfig", "LIFDesign", "DESIGN", "MAX_NEURONS", "DEFAULT_CHUNK"]

MAX_NEURONS = 64
DEFAULT_CHUNK = 2048  # steps per free-running chunk of the bench (trace memory depth)

# parameters of the design itself, beside the neuron's own LIFParams fields
GLOBAL_PARAMS = {
    "n": ("neurons in the array", 1, 1, MAX_NEURONS),
    "seed": ("PRNG seed (threshold noise and on-chip stimulus)", 1, 0, 0xFFFF_FFFF),
}
STIM_PREFIX = "stim_"


@dataclass(frozen=True)
class DesignConfig:
    """A fully validated ``lif`` configuration."""

    design: str
    params: LIFParams
    n: int
    seed: int
    stimulus: StimulusParams

    def to_dict(self):
        return {"design": self.design, "n": self.n, "seed": self.seed,
                "params": dataclasses.asdict(self.params), "stimulus": dataclasses.asdict(self.stimulus)}


class LIFDesign(Design):
    name = "lif"
    summary = "vector of n fixed-point LIF neurons (leak, refractory, exc/inh, adaptation, stochastic threshold)"
    model = "neuroxide.models.lif.LIFModel"
    rtl = "neuroxide.rtl.lif.LIFNeuronArray"

    def parameter_table(self):
        rows = [(k, default, f"{doc}, {lo}..{hi}") for k, (doc, default, lo, hi) in GLOBAL_PARAMS.items()]
        for f in dataclasses.fields(LIFParams):
            rows.append((f.name, f.default, PARAM_DOCS[f.name]))
        for f in dataclasses.fields(StimulusParams):
            rows.append((STIM_PREFIX + f.name, f.default, "stimulus (simulate, build): " + STIM_DOCS[f.name]))
        return rows

    def configure(self, overrides):
        lif_names = set(LIFParams.field_names())
        stim_names = {STIM_PREFIX + f.name for f in dataclasses.fields(StimulusParams)}
        check_known(self.name, overrides, set(GLOBAL_PARAMS) | lif_names | stim_names)
        glob = check_int_params(GLOBAL_PARAMS, overrides)
        lif_kw = {k: v for k, v in overrides.items() if k in lif_names}
        for k, v in lif_kw.items():
            if k != "reset_mode" and not (v is None and k == "v_min") and not isinstance(v, int):
                raise ParameterError(k, v, "an integer")
        params = LIFParams(**lif_kw)
        stim = StimulusParams(**{k[len(STIM_PREFIX):]: v for k, v in overrides.items() if k in stim_names})
        stim.validate(params.in_bits)
        return DesignConfig(self.name, params, glob["n"], glob["seed"], stim)

    def elaborate(self, cfg):
        from neuroxide.rtl.lif import LIFNeuronArray
        return LIFNeuronArray(cfg.params, cfg.n, cfg.seed)

    def simulate(self, cfg, simulator, steps, build_dir, waves=None, progress=None, chunk=DEFAULT_CHUNK,
                 model_params=None):
        """``chunk``: steps per free-running chunk; ``model_params``: compare against a different
        model (the negative test that proves the bench can fail)."""
        from neuroxide.testbench.top import LIFBenchTop
        extra = {} if model_params is None else {"model_params": dataclasses.asdict(model_params)}
        return simulate_chunked(cfg, lambda c: LIFBenchTop(cfg.params, cfg.n, cfg.seed, cfg.stimulus, c), "lif_bench",
                                simulator, steps, build_dir, waves, progress, chunk, extra)

    def board_top(self, cfg, board, steps_per_second=100):
        from neuroxide.boards.top import NeuronBoardTop
        return NeuronBoardTop(cfg.params, cfg.n, cfg.seed, cfg.stimulus, steps_per_second=steps_per_second)


DESIGN = LIFDesign()
