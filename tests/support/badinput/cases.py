"""The catalogue: every case, in the order the docs list them."""

from .experiment_cases import experiment_cases
from .file_cases import config_cases, nir_cases
from .flow_cases import flow_cases
from .generated import device_cases, param_cases
from .conv_cases import conv_cases
from .deploy_cases import deploy_cases
from .device_file_cases import device_file_cases
from .learn_cases import learn_cases
from .mnist_cases import mnist_cases
from .nir_cases import nir_paper_cases
from .onn_lanes_cases import onn_lanes_cases
from .plasticity_cases import plasticity_cases
from .reader_cases import reader_cases
from .snn_capacity_cases import snn_capacity_cases
from .snn_core2_cases import snn_core2_cases
from .sweep_cases import sweep_cases
from .ts_neuron_cases import ts_neuron_cases
from .variability_cases import variability_cases

__all__ = ["hand_cases", "catalogue"]


def hand_cases():
    """Every subcommand and reader, one case per kind of bad input (see :mod:`support.badinput`)."""
    return (flow_cases() + experiment_cases() + reader_cases() + device_file_cases() + variability_cases()
            + ts_neuron_cases() + sweep_cases() + snn_capacity_cases() + snn_core2_cases()
            + deploy_cases() + onn_lanes_cases() + mnist_cases() + learn_cases() + plasticity_cases()
            + conv_cases())


def catalogue(designs=None):
    """Every case: the hand-written ones, the input files, then the generated ``-p`` sweeps."""
    return (hand_cases() + nir_cases() + nir_paper_cases() + config_cases() + param_cases(designs)
            + device_cases())
