"""``fefet``: the ``lif`` design with the calibrated ``fefet-sihfo2`` device preset as defaults.

Si:HfO2 FeFET neuron (Mulaosmanovic 2018): no leak, exc/inh pulses, reset after firing. Calibration: ``neuroxide.models.calibrate_zoo``; everything else is the ``lif``
design (RTL, cocotb bench, board top), see ``neuroxide/designs/_zoo.py``.
"""

from neuroxide.designs._zoo import ZooLIFDesign
from neuroxide.models.calibrate_zoo import ZOO_LIF_PRESETS

DESIGN = ZooLIFDesign("fefet", ZOO_LIF_PRESETS["fefet"], "Si:HfO2 FeFET neuron (Mulaosmanovic 2018): no leak, exc/inh pulses, reset after firing")
