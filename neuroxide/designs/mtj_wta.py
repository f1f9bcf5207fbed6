"""``mtj-wta``: a winner-take-all group of calibrated SOT-MTJ neurons (lateral inhibition, Wang 2023).

The calibrated ``mtj-sot`` LIF parameters and lateral weight ``w_lat`` (the wall push-back per
spike of another neuron, ``neuroxide.models.calibrate_zoo.calibrate_mtj``) as defaults; the model
is :class:`neuroxide.models.wta.WTAModel`, the gates :class:`neuroxide.rtl.wta.WTANeuronArray`, the
cocotb bench ``neuroxide.testbench.wta_bench`` (full state every step).
"""

import dataclasses
from dataclasses import dataclass

from neuroxide.designs._zoo import ZooLIFDesign, _calibration
from neuroxide.models.calibrate_zoo import ZOO_LIF_PRESETS
from neuroxide.designs.lif import DEFAULT_CHUNK, GLOBAL_PARAMS
from neuroxide.errors import ParameterError
from neuroxide.overrides import check_int_params
from neuroxide.testbench.runner import simulate_chunked

__all__ = ["WTADesign", "DESIGN"]


@dataclass(frozen=True)
class WTAConfig:
    design: str
    params: object
    n: int
    seed: int
    stimulus: object
    w_lat: int

    def to_dict(self):
        return {"design": self.design, "n": self.n, "seed": self.seed, "w_lat": self.w_lat,
                "params": dataclasses.asdict(self.params), "stimulus": dataclasses.asdict(self.stimulus)}


class WTADesign(ZooLIFDesign):
    model = "neuroxide.models.wta.WTAModel"
    rtl = "neuroxide.rtl.wta.WTANeuronArray"

    def default_w_lat(self):
        return int(_calibration(self.preset).extra["w_lat"])

    def parameter_table(self):
        rows = [("n", 4, "neurons in the group, 2..64") if row[0] == "n" else row for row in super().parameter_table()]
        return rows[:2] + [("w_lat", self.default_w_lat(), "lateral inhibition per spike of another neuron, "
                                                          "0..2**in_bits-1")] + rows[2:]

    def configure(self, overrides):
        overrides = dict(overrides)
        w_lat = overrides.pop("w_lat", self.default_w_lat())
        glob = check_int_params({**GLOBAL_PARAMS, "n": ("neurons", 4, 2, 64)}, overrides)
        base = super().configure({**overrides, "n": glob["n"]})
        if isinstance(w_lat, bool) or not isinstance(w_lat, int) or not 0 <= w_lat <= base.params.in_max:
            raise ParameterError("w_lat", w_lat, f"0..{base.params.in_max} (in_bits={base.params.in_bits})")
        return WTAConfig(self.name, base.params, base.n, base.seed, base.stimulus, w_lat)

    def elaborate(self, cfg):
        from neuroxide.rtl.wta import WTANeuronArray
        return WTANeuronArray(cfg.params, cfg.n, cfg.w_lat, cfg.seed)

    def simulate(self, cfg, simulator, steps, build_dir, waves=None, progress=None, chunk=DEFAULT_CHUNK,
                 model_w_lat=None):
        """``model_w_lat``: compare against a model with a different lateral weight (negative test)."""
        from neuroxide.rtl.wta import WTABoardAdapter
        from neuroxide.testbench.top import LIFBenchTop
        extra = {} if model_w_lat is None else {"model_w_lat": model_w_lat}

        def top(c):
            return LIFBenchTop(cfg.params, cfg.n, cfg.seed, cfg.stimulus, c,
                               neurons=WTABoardAdapter(cfg.params, cfg.n, cfg.w_lat, cfg.seed))
        return simulate_chunked(cfg, top, "wta_bench", simulator, steps, build_dir, waves, progress, chunk, extra)

    def board_top(self, cfg, board, steps_per_second=100):
        from neuroxide.boards.top import NeuronBoardTop
        from neuroxide.rtl.stimulus import StimulusGenerator
        from neuroxide.rtl.wta import WTABoardAdapter
        return NeuronBoardTop(None, cfg.n, cfg.seed, steps_per_second=steps_per_second,
                              neurons=WTABoardAdapter(cfg.params, cfg.n, cfg.w_lat, cfg.seed),
                              stimulus_generator=StimulusGenerator(cfg.stimulus, cfg.n, cfg.params.in_bits,
                                                                   cfg.seed))


DESIGN = WTADesign("mtj-wta", ZOO_LIF_PRESETS["mtj"], "winner-take-all group of calibrated SOT-MTJ neurons (Wang 2023): "
                   "lateral inhibition from the others' spikes")
