"""Bad input to the device options of ``digits``: ``--device``, ``--threshold-d2d-sigma``,
``--threshold-c2c-sigma`` (the neuron device's threshold spread and energy figures)."""

from .case import TMP, cli_case, subcommand

__all__ = ["variability_cases"]


def variability_cases():
    """One case per kind of bad input to the device options of ``digits`` (refused before any run)."""
    T = TMP
    dg = subcommand("digits", "digits", tail=("--plot", f"{T}/d.png"), outputs=("d.png",))
    return [
        dg("out-of-range", "--threshold-d2d-sigma 0.6", "--threshold-d2d-sigma", "--threshold-d2d-sigma", "0.6"),
        dg("out-of-range", "--threshold-d2d-sigma -0.1", "--threshold-d2d-sigma", "--threshold-d2d-sigma", "-0.1"),
        dg("malformed", "--threshold-c2c-sigma nan", "--threshold-c2c-sigma", "--threshold-c2c-sigma", "nan"),
        dg("huge", "--threshold-c2c-sigma inf", "--threshold-c2c-sigma", "--threshold-c2c-sigma", "inf"),
        dg("unknown-name", "--device nope", "--device", "--device", "nope"),
        dg("unknown-name", "--device dendrite-li2020 (no spike)", "--device", "--device", "dendrite-li2020"),
        dg("empty", "--device ''", "--device", "--device", ""),
        cli_case("digits", "missing-file", "--device missing.toml", "--device", "digits", "--device",
                 f"{T}/missing.toml", "--plot", f"{T}/d.png", outputs=("d.png",)),
        cli_case("digits", "malformed", "--device bad.toml", "--device", "digits", "--device", f"{T}/bad.toml",
                 "--plot", f"{T}/d.png", files=(("bad.toml", b"name = [\n"),), outputs=("d.png",)),
    ]
