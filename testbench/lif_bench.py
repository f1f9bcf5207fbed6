"""cocotb bench: the generated ``lif`` Verilog against ``LIFModel``, full state at every step.

The DUT is :class:`neuroxide.testbench.top.LIFBenchTop`, run chunk by chunk by
:func:`neuroxide.testbench.chunked.run_chunked`: the simulator runs free for each chunk, then every
field of every neuron at every step is compared with the model driven by the same stimulus
(``StimulusModel``).
"""

import cocotb

from neuroxide.models.lif import LIFModel, LIFParams
from neuroxide.models.stimulus import StimulusModel, StimulusParams
from neuroxide.testbench.chunked import load_config, run_chunked


@cocotb.test()
async def lif_matches_model(dut):
    cfg = load_config()
    params = LIFParams(**cfg["params"])
    # "model_params" lets a test give the model different constants from the RTL, to prove that
    # the bench does detect a difference; normally absent
    model_params = LIFParams(**cfg.get("model_params", cfg["params"]))
    n, chunk, seed = cfg["n"], cfg["chunk"], cfg["seed"]
    model = LIFModel(model_params, n, seed)
    stimulus = StimulusModel(StimulusParams(**cfg["stimulus"]), n, seed, params.in_bits)

    def model_chunk():
        trace = model.run(*stimulus.generate(chunk))
        return {f: getattr(trace, f) for f in trace.FIELDS}

    layout = params.state_layout
    await run_chunked(dut, cfg["steps"], chunk, layout.names,
                      lambda this: layout.unpack_words([int(dut.trace[i].value) for i in range(this)], n),
                      model_chunk, n)
