"""``dendrite``: n multi-dendrite neurons (Li 2020) driven by on-chip pseudo-random stimulus.

The model is :class:`neuroxide.models.dendrite.DendriteModel`, the gates
:class:`neuroxide.rtl.dendrite.DendriteNeuronArray`; the cocotb bench
(``neuroxide.testbench.dendrite_bench``) compares the full state every step. Defaults are the
calibrated ``dendrite-li2020`` device (``neuroxide.models.calibrate_zoo.calibrate_dendrite``).
"""

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from neuroxide.designs import Design, check_int_params, check_known
from neuroxide.errors import ParameterError
from neuroxide.models.dendrite import DENDRITE_PARAM_DOCS, DendriteParams
from neuroxide.models.stimulus import STIM_DOCS, StimulusParams

__all__ = ["DendriteDesign", "DendriteConfig", "DESIGN", "default_params"]

MAX_NEURONS = 32
DEFAULT_CHUNK = 2048
GLOBAL_PARAMS = {
    "n": ("neurons in the array", 1, 1, MAX_NEURONS),
    "seed": ("PRNG seed of the on-chip stimulus", 1, 0, 0xFFFF_FFFF),
}
STIM_PREFIX = "stim_"


def default_params():
    """The calibrated ``dendrite-li2020`` parameters (fall back to the rule's defaults)."""
    from neuroxide.models.calibrate_zoo import calibrate_dendrite
    return calibrate_dendrite("dendrite-li2020").params


def default_stimulus(params):
    # an input on every dendrite every step, amplitudes uniform over the whole range: about half
    # are below the filter threshold and blocked, the rest integrate and fire the soma
    return StimulusParams(p_exc=256, p_inh=0, exc_bits=params.in_bits, inh_bits=0)


@dataclass(frozen=True)
class DendriteConfig:
    design: str
    params: DendriteParams
    n: int
    seed: int
    stimulus: StimulusParams

    def to_dict(self):
        return {"design": self.design, "n": self.n, "seed": self.seed,
                "params": dataclasses.asdict(self.params), "stimulus": dataclasses.asdict(self.stimulus)}


class DendriteDesign(Design):
    name = "dendrite"
    summary = "n multi-dendrite neurons (Li 2020): dendrites filter weak inputs, integrate strong ones, feed a LIF soma"
    model = "neuroxide.models.dendrite.DendriteModel"
    rtl = "neuroxide.rtl.dendrite.DendriteNeuronArray"

    def parameter_table(self):
        p = default_params()
        rows = [(k, d, f"{doc}, {lo}..{hi}") for k, (doc, d, lo, hi) in GLOBAL_PARAMS.items()]
        rows += [(f, getattr(p, f), DENDRITE_PARAM_DOCS[f]) for f in DendriteParams.field_names()]
        s = default_stimulus(p)
        rows += [(STIM_PREFIX + f.name, getattr(s, f.name), "stimulus (simulate, build): " + STIM_DOCS[f.name])
                 for f in dataclasses.fields(StimulusParams)]
        return rows

    def configure(self, overrides):
        names = set(DendriteParams.field_names())
        stim_names = {STIM_PREFIX + f.name for f in dataclasses.fields(StimulusParams)}
        check_known(self.name, overrides, set(GLOBAL_PARAMS) | names | stim_names)
        glob = check_int_params(GLOBAL_PARAMS, overrides)
        kw = {k: v for k, v in overrides.items() if k in names}
        for k, v in kw.items():
            if isinstance(v, bool) or not isinstance(v, int):
                raise ParameterError(k, v, "an integer")
        params = default_params().replace(**kw)
        stim = dataclasses.replace(default_stimulus(params),
                                   **{k[len(STIM_PREFIX):]: v for k, v in overrides.items() if k in stim_names})
        stim.validate(params.in_bits)
        return DendriteConfig(self.name, params, glob["n"], glob["seed"], stim)

    def elaborate(self, cfg):
        from neuroxide.rtl.dendrite import DendriteNeuronArray
        return DendriteNeuronArray(cfg.params, cfg.n)

    def simulate(self, cfg, simulator, steps, build_dir, waves=None, progress=None, chunk=DEFAULT_CHUNK,
                 model_params=None):
        """``model_params``: compare against a different model (the negative test)."""
        from amaranth.back import verilog

        from neuroxide.testbench.dendrite_top import DendriteBenchTop
        from neuroxide.testbench.runner import run_bench

        if isinstance(chunk, bool) or not isinstance(chunk, int) or not 1 <= chunk <= 65536:
            raise ParameterError("chunk", chunk, "1..65536")
        n_chunks = -(-steps // chunk)
        chunk = -(-steps // n_chunks)
        t0 = time.perf_counter()
        top = DendriteBenchTop(cfg.params, cfg.n, cfg.seed, cfg.stimulus, chunk)
        text = verilog.convert(top, name="dendrite_bench", emit_src=False)
        config = cfg.to_dict() | {"steps": steps, "chunk": chunk}
        if model_params is not None:
            config["model_params"] = dataclasses.asdict(model_params)
        bench = run_bench(simulator, text, "dendrite_bench", "neuroxide.testbench.dendrite_bench", config,
                          Path(build_dir) / simulator, waves=waves, progress=progress)
        return {"design": cfg.design, "simulator": simulator, "steps": bench["steps"], "cycles": bench["cycles"],
                "mismatches": bench["mismatches"], "wall_s": round(time.perf_counter() - t0, 3),
                "neurons": cfg.n, "spikes": bench["spikes"], "field_mismatches": bench["field_mismatches"],
                "first_mismatch": bench["first_mismatch"], "cycles_per_s": bench["cycles_per_s"],
                "build_s": bench["build_s"], "waves": str(waves) if waves else None}

    def board_top(self, cfg, board, steps_per_second=100):
        from neuroxide.boards.top import NeuronBoardTop
        from neuroxide.rtl.dendrite import DendriteBoardAdapter
        from neuroxide.rtl.stimulus import StimulusGenerator

        top = NeuronBoardTop(None, cfg.n, cfg.seed, cfg.stimulus if cfg.stimulus.exc_bits <= 12 else None,
                             steps_per_second=steps_per_second)
        # same board top (prescaler, LEDs), with the dendrite array behind the LIF array's ports
        for unused in (top.neurons, top.stimulus_generator):   # replaced below: not an error
            unused._MustUse__silence = True
        top.neurons = DendriteBoardAdapter(cfg.params, cfg.n)
        top.stimulus_generator = StimulusGenerator(cfg.stimulus, cfg.n * cfg.params.n_dend, cfg.params.in_bits,
                                                   cfg.seed)
        return top


DESIGN = DendriteDesign()
