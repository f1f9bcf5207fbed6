"""``nbo2-osc``: the ``lif`` design with the calibrated ``nbo2-osc`` device preset as defaults.

NbO2 relaxation-oscillator neuron (Zhang 2020), calibrated; latched drives encode to 0. Calibration: ``neuroxide.models.calibrate_zoo``; everything else is the ``lif``
design (RTL, cocotb bench, board top), see ``neuroxide/designs/_zoo.py``.
"""

from neuroxide.designs._zoo import ZooLIFDesign
from neuroxide.models.calibrate_zoo import ZOO_LIF_PRESETS

DESIGN = ZooLIFDesign("nbo2-osc", ZOO_LIF_PRESETS["nbo2-osc"], "NbO2 relaxation-oscillator neuron (Zhang 2020), calibrated; latched drives encode to 0")
