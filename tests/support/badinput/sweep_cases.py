"""Bad input to ``neuroxide sweep``: broken sweep files (unknown experiment, axis or key, a value
of the wrong type or out of range, an empty axis, zipped lists of different lengths) and bad
options (an unreachable scheduler, a store that is a file, a plot that is not a PNG). Each is
refused before any point runs: the store folder is never created."""

from .case import TMP, cli_case

__all__ = ["sweep_cases"]


def _file(text):
    return (("s.toml", text.encode()),)


def sweep_cases():
    """One case per kind of bad sweep input."""
    T = TMP
    store = ("--store", f"{T}/store")
    out = ("store",)

    def spec(category, what, fld, text, *args):
        return cli_case("sweep", category, what, fld, "sweep", f"{T}/s.toml", *store, *args, files=_file(text),
                        outputs=out)
    digits = "experiment = 'digits'\n"
    return [
        spec("unknown-name", "experiment mnist2", "experiment", "experiment = 'mnist2'\n"),
        spec("unknown-name", "unknown axis", "axes.weight_width", digits + "[axes]\nweight_width = [2, 4]\n"),
        spec("unknown-name", "unknown top-level key", "workers", digits + "workers = 4\n"),
        spec("malformed", "axis value of the wrong type", "axes.weight_bits", digits + "[axes]\nweight_bits = ['four']\n"),
        spec("malformed", "a date as a value", "fixed.limit", digits + "[fixed]\nlimit = 2020-01-01\n"),
        spec("malformed", "an axis that is not a list", "axes.d2d_sigma", digits + "[axes]\nd2d_sigma = 0.1\n"),
        spec("malformed", "range with step 0", "axes.d2d_sigma.range", digits + "[axes]\nd2d_sigma = {range = [0, 1, 0]}\n"),
        spec("malformed", "not TOML", "SPEC", "experiment = [\n"),
        spec("empty", "empty axis", "axes.seed", digits + "[axes]\nseed = []\n"),
        spec("empty", "zipped lists of different lengths", "zip[0]", digits + "[[zip]]\nseed = [1, 2]\nstuck_at = [0.0]\n"),
        spec("out-of-range", "weight_bits 9 on an axis", "axes.weight_bits", digits + "[axes]\nweight_bits = [2, 9]\n"),
        spec("huge", "range of 10^7 points", "axes.seed.range", digits + "[axes]\nseed = {range = [0, 10000000, 1]}\n"),
        spec("out-of-range", "a required field missing", "fixed.graph", "experiment = 'maxcut'\n[axes]\nseed = [1]\n"),
        spec("missing-file", "unreachable scheduler", "--scheduler", digits + "[fixed]\nlimit = 1\n",
             "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", "--timeout", "1"),
        spec("malformed", "--plot sweep.pdf", "--plot", digits + "[fixed]\nlimit = 1\n", "--plot", f"{T}/p.pdf"),
        cli_case("sweep", "missing-file", "--store is a file", "--store", "sweep", f"{T}/s.toml", "--store",
                 f"{T}/afile", files=_file(digits) + (("afile", b"x"),)),
        cli_case("sweep", "missing-file", "sweep file missing", "SPEC", "sweep", f"{T}/nope.toml", *store, outputs=out),
    ]
