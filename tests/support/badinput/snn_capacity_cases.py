"""Bad input to the SNN core's capacity planner (``models.snn_capacity``): networks that do not fit
the chosen board's block RAM / SPRAM, impossible SPRAM word geometries, unknown boards. The planner
runs before synthesis, so each refusal names the field with the numbers (needed vs available)."""

from .case import Case, cli_case

__all__ = ["snn_capacity_cases"]


def _shapes(sizes, weight_bits=4):
    from neuroxide.models.snn_capacity import LayerShape
    return [LayerShape(a, b, weight_bits) for a, b in zip(sizes, sizes[1:])]


def _fits(sizes, lanes, board, weight_bits=4, **kw):
    def call(tmp):
        from neuroxide.models.snn_capacity import check_fits
        return check_fits(_shapes(sizes, weight_bits), lanes, board, **kw)
    return call


def _memory(**kw):
    def call(tmp):
        from neuroxide.rtl.snn_memory import WeightMemory
        return WeightMemory(**kw)
    return call


def snn_capacity_cases():
    T = "SNN capacity planner"
    return [
        Case(T, "huge", "784-1024-10 at 4-bit on ulx3s-85f (block RAM)", "network",
             call=_fits([784, 1024, 10], 16, "ulx3s-85f")),
        Case(T, "huge", "784-256-10 at 4-bit on ecp5-25f (block RAM)", "network",
             call=_fits([784, 256, 10], 16, "ecp5-25f")),
        Case(T, "huge", "784-256-10 at 4-bit on icebreaker (layer 0 deeper than the SPRAMs: block RAM)", "network",
             call=_fits([784, 256, 10], 8, "icebreaker")),
        Case(T, "huge", "784-256-10 at 4-bit on icebreaker, weights forced into SPRAM", "network",
             call=_fits([784, 256, 10], 8, "icebreaker", weight_kind=["spram", "bram"])),
        cli_case("build", "huge", "snn-core 784-256-10 for icebreaker: refused before synthesis", "network",
                 "build", "snn-core", "--board", "icebreaker", "-p", "n_in=784", "-p", "n_hidden=256",
                 "--build-dir", "{tmp}/b"),
        Case(T, "huge", "64-512-64 at 4-bit on icebreaker in block RAM (lanes 16)", "network",
             call=_fits([64, 512, 64], 16, "icebreaker", weight_kind="bram")),
        Case(T, "out-of-range", "SPRAM word wider than 64 bits (lanes 16 at 4-bit)", "lanes",
             call=_fits([64, 64, 10], 16, "icebreaker")),
        Case(T, "out-of-range", "lanes 0", "lanes", call=_fits([64, 10], 0, "ulx3s-85f")),
        Case(T, "unknown-name", "board 'ecp5-100f'", "board", call=_fits([64, 10], 8, "ecp5-100f")),
        Case(T, "unknown-name", "SPRAM weights on an ECP5", "weight_kind",
             call=_fits([64, 10], 8, "ulx3s-85f", weight_kind="spram")),
        Case("SNN weight memory", "out-of-range", "SPRAM depth beyond 16384 words at 64-bit words", "depth",
             call=_memory(lanes=8, weight_bits=4, depth=16385, kind="spram")),
        Case("SNN weight memory", "malformed", "SPRAM with initial contents", "init",
             call=_memory(lanes=4, weight_bits=4, depth=4, kind="spram", init=[1, 2, 3, 4])),
        Case("SNN weight memory", "unknown-name", "memory kind 'dram'", "memory",
             call=_memory(lanes=4, weight_bits=4, depth=4, kind="dram")),
        Case(T, "unknown-name", "weight format 'twos'", "weight_format",
             call=_fits([64, 10], 8, "ulx3s-85f", weight_format="twos")),
        Case("SNN weight memory", "malformed", "signed format, init word with both levels in lane 0", "init[0]",
             call=_memory(lanes=2, weight_bits=4, depth=2, init=[0x35], weight_format="signed")),
        cli_case("verilog", "malformed", "snn-core weight_format=signed on the random network (w_exc and w_inh at "
                 "one synapse)", "layers[0].weights", "verilog", "snn-core", "-p", "weight_format=signed", "-o",
                 "{tmp}/core.v"),
        cli_case("verilog", "unknown-name", "snn-core weight_format 'twos'", "weight_format",
                 "verilog", "snn-core", "-p", "weight_format=twos", "-o", "{tmp}/core.v"),
    ]
