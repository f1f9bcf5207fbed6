"""Benchmarks of the neuron zoo: energy per spike of every preset vs the review, and the board
resources (LUT, FF, DSP, BRAM, Fmax) of every zoo neuron datapath on iCEBreaker and ULX3S-85F."""

import time

__all__ = ["PARTS", "ZOO_DESIGNS"]

# the zoo's neuron datapaths: the calibrated LIF-mapped designs and the multi-dendrite neuron
ZOO_DESIGNS = ("fefet", "afefet", "mtj", "mtj-wta", "stochastic-ts", "nbo2-osc", "dendrite")


def bench_energy():
    """Model energy per spike of every preset (all families) beside the review's Table 1, with the
    fixed-point fidelity of each zoo calibration."""
    from neuroxide.models.calibrate_zoo import calibrate_zoo
    from neuroxide.models.devices.zoo import ZOO_PRESETS, zoo_energy_table
    rows = zoo_energy_table()
    for r in rows:
        if r["preset"] in ZOO_PRESETS:
            t0 = time.perf_counter()
            cal = calibrate_zoo(r["preset"])
            r["fidelity_metric"] = cal.fidelity["metric"]
            r["fidelity_max_error"] = cal.fidelity["max_error"]
            r["calibrate_s"] = round(time.perf_counter() - t0, 3)
    return {"presets": rows}


# neurons per design: 4, except the dendrite neuron, whose 4 dendrite leaks and soma leak take 5
# multipliers per neuron (the iCE40UP5K has 8 DSPs), so one neuron is built
NEURONS = {"dendrite": 1}


def bench_boards(boards=("icebreaker", "ulx3s-85f"), n=4, designs=ZOO_DESIGNS, build_dir="build/bench/zoo"):
    """Place-and-route every zoo datapath (calibrated defaults) on each board; a failed build is
    recorded with its error instead of stopping the others."""
    from neuroxide.designs import configure
    from neuroxide.errors import ToolchainError
    from neuroxide.flow import build_design
    out = {}
    for design in designs:
        out[design] = {}
        k = NEURONS.get(design, n)
        for board in boards:
            try:
                res = build_design(configure(design, {"n": k}), board, build_dir)
            except ToolchainError as exc:
                out[design][board] = {"n": k, "error": str(exc).splitlines()[-2:]}
                continue
            out[design][board] = {"n": k} | {key: res.get(key) for key in (
                "device", "luts", "ffs", "brams", "dsps", "fmax_mhz", "timing_met", "build_s")}
    return {"results": out}


# part name (``--only``) -> function returning a JSON-able dict
PARTS = {"zoo-energy": bench_energy, "zoo-boards": bench_boards}
