"""Benchmarks of the neuron-zoo dynamics: Izhikevich 20-panel table, HH RMSE, datapath resources.

Parts (``python -m neuroxide.bench --only PART --out results/bench.json``):

* ``izhikevich``: every 2004 panel in float64, the fixed-point model and the RTL (cocotb, one
  combined run of the 20 neurons): spike counts, worst spike shift, RTL mismatches.
* ``hh``: float HH vs fixed-point HH (model, and RTL over the first 2,000 steps) on the standard
  stimulus set: membrane RMSE, spike counts and shifts.
* ``dynamics-boards``: LUT/FF/DSP/BRAM/Fmax of the Izhikevich (one-cycle and pipelined) and HH
  datapaths on iCE40UP5K (iCEBreaker) and ECP5-85F (ULX3S). A design that does not fit or fails to
  route is recorded with the tool's message instead of figures.
"""

import time

__all__ = ["PARTS"]


def bench_izhikevich(simulator=None, build_dir="build/bench/izhikevich"):
    from neuroxide.experiments.backends import Backend
    from neuroxide.experiments.izhikevich import IzhikevichSetup, run_izhikevich
    from neuroxide.models.izhikevich import PANELS
    t0 = time.perf_counter()
    res = run_izhikevich(IzhikevichSetup(tuple(PANELS), Backend.RTL), simulator, build_dir)
    return {"panels": [p.to_dict() for p in res.panels], "matched": res.matched, "total": len(res.panels),
            "simulator": res.rtl["simulator"], "rtl_cycles": res.rtl["cycles"],
            "rtl_cycles_per_s": res.rtl["cycles_per_s"], "wall_s": round(time.perf_counter() - t0, 1)}


def bench_hh(simulator=None, rtl_steps=2000, build_dir="build/bench/hh"):
    from neuroxide.experiments.backends import Backend
    from neuroxide.experiments.hh import RMSE_TARGET_MV, HHSetup, run_hh
    from neuroxide.models.hh import STIMULI
    t0 = time.perf_counter()
    model = run_hh(HHSetup(tuple(STIMULI)))
    rtl = run_hh(HHSetup(tuple(STIMULI), rtl_steps, Backend.RTL), simulator, build_dir)
    return {"model": model.stimulus_rows(), "max_rmse_mv": model.max_rmse_mv, "rmse_target_mv": RMSE_TARGET_MV,
            "rtl": rtl.stimulus_rows(), "rtl_steps": rtl_steps, "simulator": rtl.rtl["simulator"],
            "rtl_mismatches": rtl.rtl["mismatches"], "wall_s": round(time.perf_counter() - t0, 1)}


BUILDS = (
    ("izhikevich-pipelined", "izhikevich", {"panel": "H", "pipelined": 1}),
    ("hh", "hh", {}),
    ("izhikevich", "izhikevich", {"panel": "H", "pipelined": 0}),
)


def bench_boards(boards=("ulx3s-85f", "icebreaker"), build_dir="build/bench/dynamics", only=None):
    from neuroxide.designs import configure
    from neuroxide.errors import NeuroxideError
    from neuroxide.flow import build_design
    out = {}
    for label, design, params in BUILDS:
        if only and label not in only:
            continue
        for board in boards:
            t0 = time.perf_counter()
            try:
                res = build_design(configure(design, params), board, f"{build_dir}/{label}")
                row = {k: res.get(k) for k in ("device", "luts", "ffs", "brams", "dsps", "fmax_mhz", "build_s",
                                                "timing_met")}
            except NeuroxideError as exc:  # does not fit / fails to route: record why, keep going
                row = {"error": str(exc)[-600:], "build_s": round(time.perf_counter() - t0, 1)}
            out.setdefault(label, {})[board] = row
    return out


# part name (``--only``) -> function returning a JSON-able dict
PARTS = {"izhikevich": bench_izhikevich, "hh": bench_hh, "dynamics-boards": bench_boards}
