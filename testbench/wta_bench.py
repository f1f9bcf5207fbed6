"""cocotb bench: the generated ``mtj-wta`` Verilog against ``WTAModel``, full state at every step.

As ``lif_bench`` (:func:`neuroxide.testbench.chunked.run_chunked`): the DUT
(:class:`~neuroxide.testbench.top.LIFBenchTop` with the ``WTABoardAdapter`` as its neurons) runs
each chunk free on its on-chip excitatory stimulus; every neuron's v, ref, adapt, rng and spike are compared with the winner-take-all model
(lateral inhibition from the previous step's spikes) fed the same stimulus.
"""

import cocotb

from neuroxide.models.lif import LIFParams
from neuroxide.models.stimulus import StimulusModel, StimulusParams
from neuroxide.models.wta import WTAModel
from neuroxide.testbench.chunked import load_config, run_chunked


@cocotb.test()
async def wta_matches_model(dut):
    cfg = load_config()
    params = LIFParams(**cfg["params"])
    n, chunk, seed = cfg["n"], cfg["chunk"], cfg["seed"]
    model = WTAModel(params, n, cfg.get("model_w_lat", cfg["w_lat"]), seed)   # model_w_lat: negative test only
    stimulus = StimulusModel(StimulusParams(**cfg["stimulus"]), n, seed, params.in_bits)

    def model_chunk():
        exc, _ = stimulus.generate(chunk)
        return model.run(exc)

    layout = params.state_layout
    await run_chunked(dut, cfg["steps"], chunk, layout.names,
                      lambda this: layout.unpack_words([int(dut.trace[i].value) for i in range(this)], n),
                      model_chunk, n)
