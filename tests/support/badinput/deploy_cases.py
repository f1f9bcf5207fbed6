"""Bad input of the deploy commands: ``emulate`` (a design without the host link, a board without a
UART, the fast-path divisor), ``program`` (missing or wrong bitstream, unknown target or board) and
``build`` of a host-link design on a board without a UART or at a baud its clock cannot make. Every case fails before any build or
programming starts."""

from .case import TMP, cli_case

__all__ = ["deploy_cases"]


def deploy_cases():
    build = f"{TMP}/build"
    emulate = ("emulate",)
    return [
        cli_case("emulate", "unknown-name", "a design without the UART host link (lif)", "design",
                 *emulate, "lif", "--board", "icebreaker", "--build-dir", build),
        cli_case("emulate", "unknown-name", "unknown board", "board",
                 *emulate, "hostlink", "--board", "nope", "--build-dir", build),
        cli_case("emulate", "unknown-name", "a board without a UART (fomu-pvt)", "board",
                 *emulate, "hostlink", "--board", "fomu-pvt", "--build-dir", build),
        cli_case("emulate", "out-of-range", "--divisor 2 (below 4 clocks per bit)", "--divisor",
                 *emulate, "hostlink", "--board", "icebreaker", "--divisor", "2", "--build-dir", build),
        cli_case("emulate", "out-of-range", "--duration -1", "--duration",
                 *emulate, "hostlink", "--board", "icebreaker", "--duration", "-1", "--build-dir", build),
        cli_case("program", "missing-file", "bitstream that does not exist", "bitstream",
                 "program", f"{TMP}/nope.bit", "--board", "ulx3s-85f"),
        cli_case("program", "malformed", "an iCE40 .bin for an ECP5 board", "bitstream",
                 "program", f"{TMP}/top.bin", "--board", "ulx3s-85f", files=(("top.bin", b"\xff\x00"),)),
        cli_case("program", "unknown-name", "neither a file nor a design", "TARGET",
                 "program", "nodesign", "--board", "icebreaker"),
        cli_case("program", "unknown-name", "unknown board", "board",
                 "program", f"{TMP}/top.bit", "--board", "nope", files=(("top.bit", b"\xff\x00"),)),
        cli_case("build", "unknown-name", "hostlink on a board without a UART (tinyfpga-bx)", "board",
                 "build", "hostlink", "--board", "tinyfpga-bx", "--build-dir", build),
        cli_case("build", "out-of-range", "3 Mbaud on the ULX3S (25 MHz / 3 Mbaud = 8.33 clocks a bit, 4 % off)",
                 "baud", "build", "onn-core", "--board", "ulx3s-85f", "-p", "baud=3000000", "--build-dir", build),
        cli_case("build", "malformed", "--seeds 8-1 (a range backwards)", "--seeds",
                 "build", "lif", "--board", "icebreaker", "--seeds", "8-1", "--build-dir", build),
        cli_case("build", "malformed", "--seed and --seeds together", "--seeds",
                 "build", "lif", "--board", "icebreaker", "--seed", "1", "--seeds", "1-4", "--build-dir", build),
        cli_case("emulate", "out-of-range", "4 Mbaud (above the parameter's 3 Mbaud)", "baud",
                 *emulate, "hostlink", "--board", "icebreaker", "-p", "baud=4000000", "--build-dir", build),
    ]
