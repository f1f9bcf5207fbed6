"""Bad input to the weight-shared convolution layers of the SNN core (``models.snn_conv``,
``CoreLayer.conv``, the core configuration file, the capacity planner and ``rtl.snn_core``): every
refusal names the field and what is allowed; a CNN that does not fit a board says needed vs available."""

from .case import Case

__all__ = ["conv_cases"]

T = "SNN conv layer"


def _geometry(**kw):
    def call(tmp):
        from neuroxide.models.snn_conv import ConvGeometry
        return ConvGeometry(**({"in_shape": (2, 6, 6), "out_channels": 4, "kernel": (3, 3)} | kw))
    return call


def _layer(kernel_shape=None, recurrent=False):
    def call(tmp):
        import numpy as np

        from neuroxide.models.snn import CoreLayer
        from neuroxide.models.snn_conv import ConvGeometry
        g = ConvGeometry((2, 6, 6), 4, (3, 3))
        shape = kernel_shape or g.kernel_shape
        rec = {"w_rec_exc": np.zeros((g.n_out, g.n_out), int), "w_rec_inh": np.zeros((g.n_out, g.n_out), int)}
        return CoreLayer(np.zeros(shape, int), np.zeros(shape, int), conv=g, **(rec if recurrent else {}))
    return call


def _config(**conv):
    def call(tmp):
        import numpy as np

        from neuroxide.models.snn import CoreLayer, CoreNetwork, network_from_dict, network_to_dict
        from neuroxide.models.snn_conv import ConvGeometry
        g = ConvGeometry((1, 4, 4), 2, (2, 2))
        d = network_to_dict(CoreNetwork((CoreLayer(np.ones(g.kernel_shape, int), np.zeros(g.kernel_shape, int),
                                                   conv=g),)))
        d["layers"][0]["conv"].update(conv)
        return network_from_dict(d)
    return call


def _cnn_fits(board, lanes, weight_bits):
    def call(tmp):
        from neuroxide.designs.snn_core import make_cnn_network
        from neuroxide.models.snn_capacity import check_fits
        return check_fits(make_cnn_network(weight_bits=weight_bits), lanes, board)
    return call


def _core(in_shape, out_channels, lanes, neurons_per_clock):
    def call(tmp):
        import numpy as np

        from neuroxide.models.snn import CoreLayer, CoreNetwork
        from neuroxide.models.snn_conv import ConvGeometry
        from neuroxide.rtl.snn_core import SNNCore
        g = ConvGeometry(in_shape, out_channels, (2, 2))
        return SNNCore(CoreNetwork((CoreLayer(np.ones(g.kernel_shape, int), np.zeros(g.kernel_shape, int), conv=g),)),
                       lanes=lanes, neurons_per_clock=neurons_per_clock)
    return call


def conv_cases():
    return [
        Case(T, "out-of-range", "groups 3 does not divide 2 input channels", "groups", call=_geometry(groups=3)),
        Case(T, "out-of-range", "kernel 9 rows on a 6-row input without padding", "kernel[0]",
             call=_geometry(kernel=(9, 3))),
        Case(T, "out-of-range", "stride 0", "stride[1]", call=_geometry(stride=(1, 0))),
        Case(T, "out-of-range", "negative padding", "padding[0]", call=_geometry(padding=(-1, 0))),
        Case(T, "malformed", "in_shape of two axes", "in_shape", call=_geometry(in_shape=(6, 6))),
        Case(T, "malformed", "kernel of the unrolled matrix's shape on a conv layer", "w_exc",
             call=_layer(kernel_shape=(72, 64))),
        Case(T, "malformed", "a recurrent block on a conv layer", "w_rec_exc", call=_layer(recurrent=True)),
        Case(T, "out-of-range", "core configuration with conv stride 0", "stride[0]", call=_config(stride=[0, 1])),
        Case(T, "unknown-name", "core configuration with an unknown conv key", "conv.pool", call=_config(pool=2)),
        Case(T, "huge", "N-MNIST CNN at 8-bit weights on ulx3s-85f (block RAM)", "network",
             call=_cnn_fits("ulx3s-85f", 16, 8)),
        Case(T, "huge", "N-MNIST CNN at 4-bit weights on icebreaker", "network", call=_cnn_fits("icebreaker", 4, 4)),
        Case(T, "huge", "conv layer of 16,641 neurons (OUT_EVENT holds 12 bits)", "layers[0].n_out",
             call=_core((1, 130, 130), 1, 8, 1)),
        Case(T, "out-of-range", "4 neuron lanes for a conv layer of 6 channels", "neurons_per_clock",
             call=_core((2, 4, 4), 6, 8, 4)),
    ]
