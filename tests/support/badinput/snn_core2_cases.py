"""Bad input to the second-generation SNN core's lane parameters: ``neurons_per_clock`` against
``lanes`` (``neuroxide verilog snn-core``; refused before any file is written)."""

from .case import TMP, subcommand

__all__ = ["snn_core2_cases"]


def snn_core2_cases():
    """Impossible lanes / neurons_per_clock combinations, named ``neurons_per_clock`` with the allowed values."""
    v = subcommand("verilog snn-core", "verilog", "snn-core", tail=("-o", f"{TMP}/core.v"), outputs=("core.v",))
    return [
        v("out-of-range", "-p lanes=4 -p neurons_per_clock=8 (more neuron lanes than lanes)", "neurons_per_clock",
          "-p", "lanes=4", "-p", "neurons_per_clock=8"),
        v("malformed", "-p neurons_per_clock=3 (not a power of two)", "neurons_per_clock", "-p", "neurons_per_clock=3"),
    ]
