"""``dendrite``: n multi-dendrite neurons (Li 2020) driven by on-chip pseudo-random stimulus.

The model is :class:`neuroxide.models.dendrite.DendriteModel`, the gates
:class:`neuroxide.rtl.dendrite.DendriteNeuronArray`; the cocotb bench
(``neuroxide.testbench.dendrite_bench``) compares the full state every step. Defaults are the
calibrated ``dendrite-li2020`` device (``neuroxide.models.calibrate_zoo.calibrate_dendrite``).
"""

import dataclasses

from neuroxide.designs import Design
from neuroxide.designs.lif import DesignConfig
from neuroxide.errors import ParameterError
from neuroxide.models.dendrite import DENDRITE_PARAM_DOCS, DendriteParams
from neuroxide.models.stimulus import STIM_DOCS, StimulusParams
from neuroxide.overrides import check_int_params, check_known
from neuroxide.testbench.runner import simulate_chunked

__all__ = ["DendriteDesign", "DendriteConfig", "DESIGN", "default_params"]

MAX_NEURONS = 32
DEFAULT_CHUNK = 2048
GLOBAL_PARAMS = {
    "n": ("neurons in the array", 1, 1, MAX_NEURONS),
    "seed": ("PRNG seed of the on-chip stimulus", 1, 0, 0xFFFF_FFFF),
}
STIM_PREFIX = "stim_"


def default_params():
    """The calibrated parameters of the ``dendrite-li2020`` device (``ZOO_DENDRITE_PRESET``)."""
    from neuroxide.models.calibrate_zoo import ZOO_DENDRITE_PRESET, calibrate_dendrite
    return calibrate_dendrite(ZOO_DENDRITE_PRESET).params


def default_stimulus(params):
    # an input on every dendrite every step, amplitudes uniform over the whole range: about half
    # are below the filter threshold and blocked, the rest integrate and fire the soma
    return StimulusParams(p_exc=256, p_inh=0, exc_bits=params.in_bits, inh_bits=0)


DendriteConfig = DesignConfig  # the same fields as lif's: design, params, n, seed, stimulus


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
        from neuroxide.testbench.dendrite_top import DendriteBenchTop
        extra = {} if model_params is None else {"model_params": dataclasses.asdict(model_params)}
        return simulate_chunked(cfg, lambda c: DendriteBenchTop(cfg.params, cfg.n, cfg.seed, cfg.stimulus, c),
                                "dendrite_bench", simulator, steps, build_dir, waves, progress, chunk, extra)

    def board_top(self, cfg, board, steps_per_second=100):
        from neuroxide.boards.top import NeuronBoardTop
        from neuroxide.rtl.dendrite import DendriteBoardAdapter
        from neuroxide.rtl.stimulus import StimulusGenerator

        # same board top (prescaler, LEDs), with the dendrite array behind the LIF array's ports
        return NeuronBoardTop(None, cfg.n, cfg.seed, steps_per_second=steps_per_second,
                              neurons=DendriteBoardAdapter(cfg.params, cfg.n),
                              stimulus_generator=StimulusGenerator(cfg.stimulus, cfg.n * cfg.params.n_dend,
                                                                   cfg.params.in_bits, cfg.seed))


DESIGN = DendriteDesign()
