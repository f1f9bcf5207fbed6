"""``afefet``: the ``lif`` design with the calibrated ``afefet-hzo`` device preset as defaults.

HfZrO antiferroelectric FET neuron (Cao 2022): leaky, self-returning, refractory. Calibration: ``neuroxide.models.calibrate_zoo``; everything else is the ``lif``
design (RTL, cocotb bench, board top), see ``neuroxide/designs/_zoo.py``.
"""

from neuroxide.designs._zoo import ZooLIFDesign
from neuroxide.models.calibrate_zoo import ZOO_LIF_PRESETS

DESIGN = ZooLIFDesign("afefet", ZOO_LIF_PRESETS["afefet"], "HfZrO antiferroelectric FET neuron (Cao 2022): leaky, self-returning, refractory")
