"""cocotb bench: the generated ``ts-neuron`` Verilog against ``TSNeuronModel``, full state every step.

Same scheme as ``dendrite_bench`` (:func:`neuroxide.testbench.chunked.run_chunked`): the DUT
(:class:`~neuroxide.testbench.ts_neuron_top.TSNeuronBenchTop`) runs each chunk free on its on-chip
stimulus; every node voltage, phase flag and spike of every neuron is compared with the model fed
the same stimulus (``StimulusModel`` over ``n`` inputs, ``i_exc`` as the drive ``x``).
"""

import cocotb

from neuroxide.models.stimulus import StimulusModel, StimulusParams
from neuroxide.models.ts_neuron import TSNeuronModel, TSNeuronParams
from neuroxide.testbench.chunked import load_config, run_chunked


@cocotb.test()
async def ts_neuron_matches_model(dut):
    cfg = load_config()
    params = TSNeuronParams(**cfg["params"])
    model_params = TSNeuronParams(**cfg.get("model_params", cfg["params"]))  # negative test only
    n, chunk, seed = cfg["n"], cfg["chunk"], cfg["seed"]
    model = TSNeuronModel(model_params, n)
    stimulus = StimulusModel(StimulusParams(**cfg["stimulus"]), n, seed, params.in_bits)

    def model_chunk():
        exc, _ = stimulus.generate(chunk)
        return model.run(exc.reshape(chunk, n))

    layout = params.state_layout
    await run_chunked(dut, cfg["steps"], chunk, layout.names,
                      lambda this: layout.unpack_words([int(dut.trace[i].value) for i in range(this)], n),
                      model_chunk, n)
