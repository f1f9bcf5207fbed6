"""The sweep engine (``neuroxide.sweep``): the same table from the process pool and from Dask,
points per minute at 1 and 2 workers, a projection to 64 workers, board builds in parallel.

Part ``sweep-digits``: 240 digits points (weight bits 2, 3, 4, 6, 8 x device-to-device spread 0,
0.1, 0.2, 0.3 x stuck-at 0, 0.02, 0.05, 0.1 x seeds 1, 2, 3; all 540 test images, model back end)
run three times into fresh stores: the local pool with 1 worker, with 2 workers, and a Dask
LocalCluster of 2 worker processes. The tables must be identical but for the worker and the wall
times (``neuroxide.sweep.comparable_rows``). Points per minute = points / sweep wall time (the
pool's start and the table included).

The projection to ``W`` workers uses the costs measured here: each point's compute time ``c``
(mean over the 1-worker run, measured inside the worker), the driver's serial work per point ``d``
(writing the point to the store, measured in the driver) and the start ``s`` (the 1-worker wall
time minus its summed compute and driver time: the pool's start, imports, the first load)::

    points/min(W) = 60 / max(c / W, d)        wall(N points, W) = s + N * max(c / W, d)

i.e. linear in W until the driver's own work per point is the bottleneck. Not in the model: the
Dask scheduler's own cost per task (about a millisecond, documented by Dask) and the network.
On this shared 2-core machine the 2-worker figure also reflects whatever else ran; the record says
the load average.

Part ``sweep-boards``: a board-build sweep (``build`` experiment: the ``snn-core`` design, lanes x
board) on 2 local workers; its builds run side by side, so the wall time is below the sum of the
builds' own times (reported as ``parallel_speedup``).
"""

import os
import tempfile
import time
from pathlib import Path

__all__ = ["PARTS", "DIGITS_SWEEP", "BOARDS_SWEEP", "sweep_digits", "sweep_boards", "projection"]

DIGITS_SWEEP = {"experiment": "digits", "name": "digits-devices-240",
                "fixed": {"backend": "model"},
                "axes": {"weight_bits": [2, 3, 4, 6, 8], "d2d_sigma": [0.0, 0.1, 0.2, 0.3],
                         "stuck_at": [0.0, 0.02, 0.05, 0.1], "seed": [1, 2, 3]}}
BOARDS_SWEEP = {"experiment": "build", "name": "snn-core-lanes-boards",
                "fixed": {"design": "snn-core"},
                "axes": {"board": ["icebreaker", "ulx3s-85f"], "params.lanes": [2, 4]}}


def projection(compute_s, driver_s, start_s, workers, points=None):
    """Points per minute on ``workers`` workers (and the wall time of ``points`` points) from the
    per-point compute time, the driver's time per point and the start (see the module doc)."""
    per_point = max(compute_s / workers, driver_s)
    out = {"workers": workers, "points_per_min": round(60 / per_point, 1),
           "bound": "driver" if driver_s >= compute_s / workers else "compute"}
    if points:
        out["wall_s"] = round(start_s + points * per_point, 1)
    return out


def _run(spec, store, executor, version):
    from neuroxide.sweep import Store, run_sweep, table
    run = run_sweep(spec, Store(store), executor, version=version)
    return run, table(spec, store, version)


def sweep_digits(spec_data=None, limit=None):
    """Run :data:`DIGITS_SWEEP` (or ``spec_data``; ``limit``: first N test images) on 1 and 2 local
    workers and on a 2-worker Dask LocalCluster; the tables compared, the rates and the projection."""
    from neuroxide.sweep import DaskExecutor, LocalExecutor, code_version, comparable_rows, parse_spec
    data = dict(spec_data or DIGITS_SWEEP)
    if limit is not None:
        data["fixed"] = data["fixed"] | {"limit": limit}
    spec = parse_spec(data)
    version = code_version()
    out = {"points": spec.size, "axes": {k: v for k, v in data["axes"].items()}, "fixed": data["fixed"],
           "code_version": version, "cpus": os.cpu_count(), "runs": {}}
    tables = {}
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        for name, executor in (("local-1", LocalExecutor(1)), ("local-2", LocalExecutor(2)),
                               ("dask-2", DaskExecutor(None, 2))):
            load_before = os.getloadavg()[0]
            run, rows = _run(spec, Path(tmp) / name, executor, version)
            tables[name] = rows
            out["runs"][name] = {"wall_s": round(run.wall_s, 2), "points_per_min": round(run.computed / run.wall_s * 60, 1),
                                 "failed": run.failed, "compute_s": round(run.compute_s, 2),
                                 "driver_s": round(run.driver_s, 3),
                                 "load_average_before": round(load_before, 2),
                                 "workers_used": len({r["worker"] for r in rows if r["worker"]})}
    ref = comparable_rows(tables["local-1"])
    out["identical_tables"] = {name: comparable_rows(rows) == ref for name, rows in tables.items() if name != "local-1"}
    out["rows"] = len(ref)
    out["columns"] = len(ref[0]) if ref else 0
    one, two = out["runs"]["local-1"], out["runs"]["local-2"]
    compute = one["compute_s"] / spec.size
    driver = one["driver_s"] / spec.size
    start = max(0.0, one["wall_s"] - one["compute_s"] - driver * spec.size)
    out["per_point"] = {"compute_s": round(compute, 4), "driver_s": round(driver, 4), "start_s": round(start, 2)}
    out["speedup_2_workers"] = round(two["points_per_min"] / one["points_per_min"], 2)
    out["projection"] = [projection(compute, driver, start, w, spec.size) for w in (1, 2, 8, 64)]
    ok = [r for r in tables["local-1"] if r["status"] == "ok"]
    out["accuracy_range"] = [min(r["accuracy"] for r in ok), max(r["accuracy"] for r in ok)] if ok else None
    return out


def sweep_boards(spec_data=None, workers=2):
    """Run the board-build sweep :data:`BOARDS_SWEEP` on ``workers`` local workers: wall time
    against the sum of the builds' own times, and each build's LUTs and Fmax."""
    from neuroxide.sweep import LocalExecutor, code_version, parse_spec
    spec = parse_spec(dict(spec_data or BOARDS_SWEEP))
    with tempfile.TemporaryDirectory(prefix="sweep-boards-") as tmp:
        t0 = time.perf_counter()
        run, rows = _run(spec, Path(tmp) / "store", LocalExecutor(workers), code_version())
        wall = time.perf_counter() - t0
    builds = [{k: r.get(k) for k in ("board", "params.lanes", "status", "luts", "ffs", "brams", "dsps", "fmax_mhz",
                                     "build_s", "point_wall_s", "error")} for r in rows]
    return {"points": spec.size, "workers": workers, "wall_s": round(wall, 1),
            "sum_of_build_s": round(run.compute_s, 1), "parallel_speedup": round(run.compute_s / wall, 2) if wall else None,
            "failed": run.failed, "builds": builds}


PARTS = {"sweep-digits": sweep_digits, "sweep-boards": sweep_boards}
