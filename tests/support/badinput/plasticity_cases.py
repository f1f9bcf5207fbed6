"""Bad input of the plasticity rules and the learning layer (``neuroxide.models.plasticity``): rates
out of range, a rule or a device table that does not fit the weight width, a layer kind that cannot
learn, and (through ``neuroxide verilog plastic-layer``) the same through the command line."""

from .case import TMP, Case, cli_case

__all__ = ["plasticity_cases"]


def _params(**kw):
    def call(tmp):
        from neuroxide.models.plasticity import PlasticityParams
        return PlasticityParams(**kw)
    return call


def _tables(n_levels, weight_bits):
    def call(tmp):
        from neuroxide.models.plasticity import PlasticityParams, UpdateTables
        return PlasticityParams(weight_bits=weight_bits, tables=UpdateTables((256,) * n_levels, (256,) * n_levels))
    return call


def _device(**kw):
    def call(tmp):
        from neuroxide.models.plasticity import tables_from_device
        return tables_from_device(**kw)
    return call


def _model_of_core_layer(tmp):
    import numpy as np

    from neuroxide.models.plasticity import PlasticModel
    from neuroxide.models.snn import CoreLayer
    return PlasticModel(CoreLayer(w_exc=np.zeros((2, 2), int), w_inh=np.zeros((2, 2), int)), np.zeros((2, 2), int))


def _layer(**kw):
    def call(tmp):
        from neuroxide.models.plasticity import PlasticLayer
        return PlasticLayer(**({"n_in": 4, "n_out": 2} | kw))
    return call


def plasticity_cases():
    t = "plasticity rules"
    cases = [
        Case(t, "unknown-name", "rule 'hebb'", "rule", call=_params(rule="hebb")),
        Case(t, "out-of-range", "weight_bits=9", "weight_bits", call=_params(weight_bits=9)),
        Case(t, "out-of-range", "a_plus wider than the weight range", "a_plus", call=_params(a_plus=(15 << 8) + 1)),
        Case(t, "out-of-range", "a_minus=-1", "a_minus", call=_params(a_minus=-1)),
        Case(t, "out-of-range", "a_plus that fits 8-bit but not 2-bit weights", "a_plus",
             call=_params(weight_bits=2, a_plus=1000)),
        Case(t, "out-of-range", "trace decay factor 1 (never decays)", "trace_decay", call=_params(trace_decay=256)),
        Case(t, "out-of-range", "sdsp_up of 2**20", "sdsp_up", call=_params(rule="sdsp", sdsp_up=1 << 20)),
        Case(t, "out-of-range", "theta_h_up below theta_l", "theta_h_up", call=_params(theta_l=50, theta_h_up=10)),
        Case(t, "huge", "frac_bits=64", "frac_bits", call=_params(frac_bits=64)),
        Case(t, "malformed", "a_plus=0.5 (not an integer)", "a_plus", call=_params(a_plus=0.5)),
        Case(t, "out-of-range", "a 16-level table for 3-bit weights", "tables.up", call=_tables(16, 3)),
        Case(t, "out-of-range", "device non-linearity 20", "nonlinearity_up", call=_device(nonlinearity_up=20.0)),
        Case(t, "out-of-range", "device asymmetry -1", "asymmetry", call=_device(asymmetry=-1.0)),
        Case(t, "out-of-range", "layer weight_bits unlike its rule's", "weight_bits", call=_layer(weight_bits=3)),
        Case(t, "out-of-range", "n_out=0", "n_out", call=_layer(n_out=0)),
        Case(t, "out-of-range", "column gains of the wrong count", "column_gain", call=_layer(column_gain=(256,))),
        Case(t, "unknown-name", "learning on an snn-core layer (cannot learn)", "layer", call=_model_of_core_layer),
    ]
    out = f"{TMP}/pl.v"
    cases += [
        cli_case("verilog", "unknown-name", "plastic-layer -p rule=hebb", "rule",
                 "verilog", "plastic-layer", "-p", "rule=hebb", "-o", out, outputs=("pl.v",)),
        cli_case("verilog", "out-of-range", "plastic-layer -p a_plus beyond the weight range", "a_plus",
                 "verilog", "plastic-layer", "-p", "weight_bits=2", "-p", "a_plus=5000", "-o", out, outputs=("pl.v",)),
    ]
    return cases
