"""The sweep engine (neuroxide.sweep, `neuroxide sweep`): the grid, bad sweep files, the store,
resume after an interruption, a killed worker on the process pool and on a real Dask cluster, and
the same table from both executors."""

import json
import os
import signal
from collections import Counter

import pyarrow.parquet as pq
import pytest

from neuroxide.cli import main
from neuroxide.errors import ParameterError
from neuroxide.sweep import (DaskExecutor, LocalExecutor, Store, code_version, comparable_rows, load_spec, parse_spec,
                             run_sweep, table)

# 8 cheap points (a few ms each): a 16-pixel Hopfield ONN, 2 loads x 4 seeds
V = "test"  # the code version of the keys: fixed, so an edit elsewhere in the tree mid-test changes nothing
HOPFIELD = {"experiment": "hopfield", "fixed": {"n": 16, "noise": [0.1], "steps": 10},
            "axes": {"patterns": [1, 2], "seed": {"range": [1, 4, 1]}}}


def write_spec(path, text):
    path.write_text(text)
    return str(path)


def test_grid_axes_ranges_and_zips():
    spec = parse_spec({"experiment": "digits", "fixed": {"limit": 5},
                       "axes": {"weight_bits": [2, 4], "d2d_sigma": {"range": [0.0, 0.2, 0.1]}},
                       "zip": [{"stuck_at": [0.0, 0.05], "seed": {"linspace": [1, 2, 2]}}]})
    points = list(spec.points())
    assert spec.size == len(points) == 2 * 3 * 2
    assert points[0] == {"limit": 5, "weight_bits": 2, "d2d_sigma": 0.0, "stuck_at": 0.0, "seed": 1}
    assert points[1] == {"limit": 5, "weight_bits": 2, "d2d_sigma": 0.0, "stuck_at": 0.05, "seed": 2}
    assert [p["d2d_sigma"] for p in points[:6:2]] == [0.0, 0.1, 0.2]  # stop included, no 0.30000000000000004
    assert spec.axis_names == ["weight_bits", "d2d_sigma", "stuck_at", "seed"]


def test_new_setup_fields_are_sweepable_without_sweep_code():
    """Axes map onto the setup's dataclass fields: every field of every experiment is accepted."""
    from neuroxide.sweep import EXPERIMENTS
    fields = EXPERIMENTS["digits"].fields()
    assert {"weight_bits", "d2d_sigma", "stuck_at", "seed", "limit"} <= set(fields)
    with pytest.raises(ParameterError) as e:
        parse_spec({"experiment": "digits", "axes": {"not_a_field": [1]}})
    assert e.value.field == "axes.not_a_field" and "weight_bits" in e.value.allowed


BAD = [
    ("experiment = 'mnist2'\n", "experiment"),
    ("experiment = 'digits'\n[axes]\nweight_width = [2, 3]\n", "axes.weight_width"),
    ("experiment = 'digits'\n[axes]\nweight_bits = ['four']\n", "axes.weight_bits"),
    ("experiment = 'digits'\n[axes]\nweight_bits = [2, 9]\n", "axes.weight_bits"),
    ("experiment = 'digits'\n[axes]\nseed = []\n", "axes.seed"),
    ("experiment = 'digits'\n[axes]\nd2d_sigma = {range = [0, 0.2, 0]}\n", "axes.d2d_sigma.range"),
    ("experiment = 'digits'\n[axes]\nd2d_sigma = 0.1\n", "axes.d2d_sigma"),
    ("experiment = 'digits'\n[fixed]\nlimit = 2020-01-01\n", "fixed.limit"),
    ("experiment = 'digits'\n[[zip]]\nseed = [1, 2]\nstuck_at = [0.0]\n", "zip[0]"),
    ("experiment = 'digits'\n[axes]\nseed = [1]\n[fixed]\nseed = 2\n", "axes.seed"),
    ("experiment = 'digits'\nworkers = 4\n", "workers"),
    ("experiment = 'hopfield'\n[axes]\npatterns = [4, 40]\n[fixed]\nn = 16\n", "axes.patterns"),
    ("experiment = 'maxcut'\n[axes]\nseed = [1]\n", "fixed.graph"),
    ("experiment = [\n", "SPEC"),
]


@pytest.mark.parametrize("text, key", BAD, ids=[k for _, k in BAD])
def test_bad_sweep_file_exits_2_naming_the_key(tmp_path, capsys, text, key):
    spec = write_spec(tmp_path / "s.toml", text)
    store = tmp_path / "store"
    assert main(["sweep", spec, "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert f"error: {key}=" in err and "allowed:" in err, err
    assert not store.exists()  # refused before any point ran


def test_unreachable_scheduler_exits_2_naming_the_address(tmp_path, capsys):
    spec = write_spec(tmp_path / "s.toml", "experiment = 'hopfield'\n[fixed]\nn = 16\n")
    store = tmp_path / "store"
    assert main(["sweep", spec, "--store", str(store), "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9",
                 "--timeout", "1"]) == 2
    err = capsys.readouterr().err
    assert "--scheduler='tcp://127.0.0.1:9'" in err and "allowed:" in err, err
    assert not store.exists()


class Stop(KeyboardInterrupt):
    pass


def test_interrupt_then_resume_recomputes_nothing_stored(tmp_path):
    spec = parse_spec(HOPFIELD)
    store = Store(tmp_path / "store")

    def stop_after_three(row, ex):
        if len(store.keys()) >= 3:
            raise Stop  # Ctrl-C in the driver: what is stored stays
    with pytest.raises(Stop):
        run_sweep(spec, store, LocalExecutor(2), on_point=stop_after_three, version=V)
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in store.points.glob("*.parquet")}
    assert 3 <= len(before) < spec.size

    with pytest.raises(ParameterError) as e:  # a store with points is never overwritten silently
        run_sweep(spec, store, LocalExecutor(1), version=V)
    assert e.value.field == "store"

    computed = []
    run = run_sweep(spec, store, LocalExecutor(2), resume=True, on_point=lambda row, ex: computed.append(row["key"]),
                    version=V)
    assert run.skipped == len(before) and run.computed == spec.size - len(before) == len(computed)
    assert not {f"{k}.parquet" for k in computed} & set(before)
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in store.points.glob("*.parquet")
            if p.name in before} == before
    rows = table(spec, store, V)
    assert [r["point"] for r in rows] == list(range(spec.size)) and {r["status"] for r in rows} == {"ok"}
    assert {(r["patterns"], r["seed"]) for r in rows} == {(p, s) for p in (1, 2) for s in (1, 2, 3, 4)}
    assert all(r["results.0.noise"] == 0.1 and 0 <= r["results.0.accuracy"] <= 1 and r["load"] == r["patterns"] / 16
               for r in rows)
    again = run_sweep(spec, store, LocalExecutor(1), resume=True, version=V)
    assert (again.skipped, again.computed) == (spec.size, 0)


def test_failing_point_is_recorded_and_the_sweep_goes_on(tmp_path, capsys):
    spec = write_spec(tmp_path / "s.toml", "experiment = 'maxcut'\n[fixed]\nsweeps = 5\nrestarts = 1\n"
                      "[axes]\ngraph = ['G1', 'no-such-graph.txt']\n")
    store = tmp_path / "store"
    assert main(["sweep", spec, "--store", str(store), "--workers", "1", "--json"]) == 1  # a point failed
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (report["points"], report["computed"], report["failed"]) == (2, 2, 1)
    rows = pq.read_table(report["table"]).to_pylist()
    assert [r["status"] for r in rows] == ["ok", "failed"]
    assert rows[0]["cut"] > 0 and rows[1]["cut"] is None and "no-such-graph.txt" in rows[1]["error"]
    assert open(report["csv"]).read().count("\n") == 3


def test_killed_pool_worker_loses_no_point(tmp_path):
    spec = parse_spec(HOPFIELD)
    seen = Counter()
    killed = []

    def kill_once(row, ex):
        seen[row["key"]] += 1
        if not killed:
            killed.append(ex.worker_pids()[0])
            os.kill(killed[0], signal.SIGKILL)
    run = run_sweep(spec, tmp_path / "store", LocalExecutor(2), on_point=kill_once, version=V)
    assert killed and run.worker_deaths >= 1
    assert run.computed == spec.size == len(seen) and set(seen.values()) == {1}
    assert {r["status"] for r in table(spec, tmp_path / "store", V)} == {"ok"}


@pytest.fixture(scope="module")
def cluster():
    """A real Dask cluster of 2 worker processes (one thread each) under nannies, as on a farm."""
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as c:
        yield c


def test_dask_gives_the_local_table_and_survives_a_killed_worker(tmp_path, cluster):
    spec = parse_spec(HOPFIELD | {"fixed": HOPFIELD["fixed"] | {"steps": 1000}})  # ~0.1 s a point
    version = code_version()
    with DaskExecutor(cluster.scheduler_address) as ex:
        ex.check_code(version)  # the workers hash the same source as this driver
    run_sweep(spec, tmp_path / "local", LocalExecutor(2), version=version)
    seen = Counter()
    killed = {}

    def kill_busy_worker(row, ex):
        seen[row["key"]] += 1
        busy = {w: keys for w, keys in ex.client.processing().items() if keys}
        if not killed and busy:
            worker, keys = next(iter(busy.items()))
            killed["pid"] = ex.client.run(os.getpid, workers=[worker])[worker]
            killed["keys"] = {k.removeprefix("point-") for k in keys}
            os.kill(killed["pid"], signal.SIGKILL)  # mid-point: its nanny starts a new worker, Dask reruns the task
    run = run_sweep(spec, tmp_path / "dask", DaskExecutor(cluster.scheduler_address), on_point=kill_busy_worker,
                    version=version)
    assert killed, "no worker was busy to kill"
    assert run.computed == spec.size == len(seen) and set(seen.values()) == {1}
    local_rows, dask_rows = table(spec, tmp_path / "local", version), table(spec, tmp_path / "dask", version)
    assert {r["status"] for r in dask_rows} == {"ok"}
    assert comparable_rows(dask_rows) == comparable_rows(local_rows)
    rerun = [r for r in dask_rows if r["key"] in killed["keys"]]
    assert rerun and all(not r["worker"].endswith(f":{killed['pid']}") for r in rerun)


def test_cli_resume_table_and_plot(tmp_path, capsys):
    spec = write_spec(tmp_path / "s.toml", "experiment = 'hopfield'\n[fixed]\nn = 16\nnoise = [0.1]\nsteps = 5\n"
                      "[axes]\npatterns = [1, 2]\nseed = [1, 2]\n")
    store = str(tmp_path / "store")
    assert main(["sweep", spec, "--store", store, "--workers", "1", "--json"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (first["computed"], first["failed"]) == (4, 0)
    plot = tmp_path / "p.png"
    assert main(["sweep", spec, "--store", store, "--resume", "--plot", str(plot), "--against", "patterns,seed",
                 "--metric", "load", "--json"]) == 0
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (second["skipped"], second["computed"]) == (4, 0) and plot.stat().st_size > 1000
    assert main(["sweep", spec, "--store", store, "--resume", "--plot", str(plot), "--against", "nope"]) == 2
    assert "--against='nope'" in capsys.readouterr().err
    assert load_spec(spec).size == 4


@pytest.mark.slow
def test_cli_example_sweep_on_a_dask_localcluster_matches_the_pool(tmp_path, capsys):
    """The shipped example, from the command line: the pool and a LocalCluster the command starts."""
    from pathlib import Path
    example = str(Path(__file__).resolve().parent.parent / "examples" / "sweeps" / "digits_devices.toml")
    tables = []
    for executor in ("local", "dask"):
        assert main(["sweep", example, "--executor", executor, "--workers", "2", "--store",
                     str(tmp_path / executor), "--json"]) == 0
        report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert (report["points"], report["computed"], report["failed"]) == (32, 32, 0)
        tables.append((report["code_version"], pq.read_table(report["table"]).to_pylist()))
    (v_local, local), (v_dask, dask) = tables
    if v_local != v_dask:  # the tree was edited between the runs (a shared checkout): the keys differ, not the rest
        local, dask = ([{k: v for k, v in r.items() if k != "key"} for r in rows] for rows in (local, dask))
    assert comparable_rows(local) == comparable_rows(dask)
