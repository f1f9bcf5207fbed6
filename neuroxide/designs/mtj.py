"""``mtj``: the ``lif`` design with the calibrated ``mtj-sot`` device preset as defaults.

SOT-MTJ domain-wall neuron (Wang 2023): leaky integrator with self-reset. Calibration: ``neuroxide.models.calibrate_zoo``; everything else is the ``lif``
design (RTL, cocotb bench, board top), see ``neuroxide/designs/_zoo.py``.
"""

from neuroxide.designs._zoo import ZooLIFDesign
from neuroxide.models.calibrate_zoo import ZOO_LIF_PRESETS

DESIGN = ZooLIFDesign("mtj", ZOO_LIF_PRESETS["mtj"], "SOT-MTJ domain-wall neuron (Wang 2023): leaky integrator with self-reset")
