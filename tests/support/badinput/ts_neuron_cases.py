"""Bad input of the ``ts-neuron`` design beyond the generated ``-p`` sweeps: the device preset it
calibrates from (a name, so the integer sweeps do not try it) and rule constants that conflict."""

from .case import TMP, cli_case

__all__ = ["ts_neuron_cases"]


def ts_neuron_cases():
    out = f"{TMP}/ts.v"
    return [
        cli_case("verilog", "unknown-name", "ts-neuron -p preset=nope", "preset",
                 "verilog", "ts-neuron", "-p", "preset=nope", "-o", out, outputs=("ts.v",)),
        cli_case("verilog", "unknown-name", "ts-neuron -p preset=lif (not a TS device)", "preset",
                 "verilog", "ts-neuron", "-p", "preset=lif", "-o", out, outputs=("ts.v",)),
        cli_case("verilog", "out-of-range", "ts-neuron -p v_hold above v_th", "v_hold",
                 "verilog", "ts-neuron", "-p", "v_hold=5000000", "-o", out, outputs=("ts.v",)),
        cli_case("simulate", "out-of-range", "ts-neuron -p steps_per_on=1", "steps_per_on",
                 "simulate", "ts-neuron", "-p", "steps_per_on=1", "--steps", "10"),
    ]
