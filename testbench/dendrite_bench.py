"""cocotb bench: the generated ``dendrite`` Verilog against ``DendriteModel``, full state every step.

Same scheme as ``lif_bench`` (:func:`neuroxide.testbench.chunked.run_chunked`): the DUT
(:class:`~neuroxide.testbench.dendrite_top.DendriteBenchTop`) runs each chunk free on its on-chip
stimulus; every dendrite, membrane, refractory counter and spike of every neuron is compared with
the model fed the same stimulus (``StimulusModel`` over ``n * n_dend`` inputs).
"""

import cocotb

from neuroxide.models.dendrite import DendriteModel, DendriteParams
from neuroxide.models.stimulus import StimulusModel, StimulusParams
from neuroxide.testbench.chunked import load_config, run_chunked


@cocotb.test()
async def dendrite_matches_model(dut):
    cfg = load_config()
    params = DendriteParams(**cfg["params"])
    model_params = DendriteParams(**cfg.get("model_params", cfg["params"]))  # negative test only
    n, chunk, seed = cfg["n"], cfg["chunk"], cfg["seed"]
    model = DendriteModel(model_params, n)
    stimulus = StimulusModel(StimulusParams(**cfg["stimulus"]), n * params.n_dend, seed, params.in_bits)

    def model_chunk():
        exc, _ = stimulus.generate(chunk)
        return model.run(exc.reshape(chunk, n, params.n_dend))

    layout = params.state_layout
    await run_chunked(dut, cfg["steps"], chunk, layout.names,
                      lambda this: layout.unpack_words([int(dut.trace[i].value) for i in range(this)], n),
                      model_chunk, n)
