"""``stochastic-ts``: the ``lif`` design with the calibrated ``nbox-stochastic`` device preset as defaults.

stochastic NbOx TS neuron as a probabilistic bit: xorshift32 threshold noise. Calibration: ``neuroxide.models.calibrate_zoo``; everything else is the ``lif``
design (RTL, cocotb bench, board top), see ``neuroxide/designs/_zoo.py``.
"""

from neuroxide.designs._zoo import ZooLIFDesign
from neuroxide.models.calibrate_zoo import ZOO_LIF_PRESETS

DESIGN = ZooLIFDesign("stochastic-ts", ZOO_LIF_PRESETS["stochastic-ts"], "stochastic NbOx TS neuron as a probabilistic bit: xorshift32 threshold noise")
