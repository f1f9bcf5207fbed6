"""neuroxide: oxide neuron device physics -> bit-exact fixed-point models -> Amaranth RTL -> FPGA."""

__version__ = "0.1.0"
