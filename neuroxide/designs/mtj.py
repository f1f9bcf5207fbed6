"""``mtj``: the ``lif`` design with the calibrated ``mtj-sot`` device preset as defaults.

SOT-MTJ domain-wall neuron (Wang 2023): leaky integrator with self-reset. Calibration: ``neuroxide.models.calibrate_zoo``; everything else is the ``lif``
design (RTL, cocotb bench, board top), see ``neuroxide/designs/_zoo.py``.
"""

from neuroxide.designs._zoo import ZooLIFDesign

DESIGN = ZooLIFDesign("mtj", "mtj-sot", "SOT-MTJ domain-wall neuron (Wang 2023): leaky integrator with self-reset")
