"""``neuroxide sweep SPEC.toml``: many points of one experiment on a process pool or a Dask cluster.

The engine is :mod:`neuroxide.sweep`; this module parses the options, shows the progress bar, writes
the table and draws the plot.
"""

import sys
import textwrap

from neuroxide.commands import add_json, emit, naming_flags, plot_path, status, table

__all__ = ["register"]

FLAGS = {"scheduler": "--scheduler", "executor": "--executor", "store": "--store", "metric": "--metric",
         "resume": "--resume"}


def _against(text, spec):
    """``--against A[,B]``: one or two axes of the sweep."""
    from neuroxide.errors import ParameterError
    names = [a.strip() for a in text.split(",")] if text else spec.axis_names[:2]
    axes = spec.axis_names
    if not 1 <= len(names) <= 2 or any(n not in axes for n in names) or len(set(names)) != len(names):
        raise ParameterError("--against", text, "one or two axes of the sweep, comma-separated: " +
                             (" | ".join(axes) or "(the sweep has no axes)"))
    return names


def cmd_sweep(args):
    from pathlib import Path

    from tqdm import tqdm

    from neuroxide.errors import ParameterError
    from neuroxide.fileio import check_folder, check_output
    from neuroxide.sweep import (EXPERIMENTS, load_spec, make_executor, numeric_columns, plot_sweep, run_sweep,
                                 table as sweep_table, write_table)
    if args.list:
        rows = [[e.name, e.summary] for e in EXPERIMENTS.values()]
        fields = {e.name: list(e.fields()) + list(e.options()) for e in EXPERIMENTS.values()}
        emit(args, {"experiments": fields}, table(rows, ["experiment", "what a point runs"]) + "\n\n" + "\n".join(
            f"{name}: {', '.join(f)}" for name, f in fields.items()))
        return 0
    if args.spec is None:
        raise ParameterError("SPEC", None, "a sweep file (.toml), or --list")
    # every check before any point runs or anything is written
    spec = load_spec(args.spec, field_name="SPEC")
    if args.workers is not None and not 1 <= args.workers <= 4096:
        raise ParameterError("--workers", args.workers, "1..4096")
    if not 0.1 <= args.timeout <= 3600:  # also refuses nan
        raise ParameterError("--timeout", args.timeout, "0.1..3600 seconds")
    plot_path(args.plot)
    check_output("--plot", args.plot)
    against = _against(args.against, spec) if args.plot else None
    folder = args.store or spec.store or str(Path("build/sweeps") / spec.name)
    check_folder("--store", folder)
    with naming_flags(FLAGS):
        executor = make_executor(args.executor, args.workers, args.scheduler, args.timeout)
    where = args.scheduler or ("a LocalCluster" if args.executor == "dask" else "this machine")
    bar = None

    def on_start(total, todo, ex):
        nonlocal bar
        status(f"sweep {spec.name}: {spec.experiment}, {total} points ({total - todo} stored), "
               f"{args.executor} executor on {where}, store {folder}")
        bar = tqdm(total=total, initial=total - todo, desc=spec.name, unit="pt", file=sys.stderr, leave=False,
                   dynamic_ncols=True)
        bar.set_postfix_str(f"done {total - todo}, failed 0, left {todo}")
        counts["left"] = todo

    counts = {"done": 0, "failed": 0}

    def on_point(row, ex):
        counts["done"] += 1
        counts["failed"] += row["status"] != "ok"
        if row["status"] != "ok":
            bar.write(f"point {row['index']} failed: {row['error'].splitlines()[0]}", file=sys.stderr)
        bar.set_postfix_str(f"done {bar.n + 1}, failed {counts['failed']}, left {counts['left'] - counts['done']}",
                            refresh=False)
        bar.update(1)

    try:
        with naming_flags(FLAGS):
            run = run_sweep(spec, folder, executor, resume=args.resume, retry_failed=args.retry_failed,
                            on_point=on_point, on_start=on_start)
    except KeyboardInterrupt:
        status(f"\ninterrupted: {counts['done']} points stored in {folder}; `neuroxide sweep {args.spec} "
               f"--store {folder} --resume` runs the rest")
        raise
    finally:
        if bar is not None:
            bar.close()
    rows = sweep_table(spec, run.store, run.code_version)
    parquet, csv = write_table(rows, run.store.folder)
    report = run.to_dict() | {"table": parquet, "csv": csv, "plot": None, "axes": spec.axis_names}
    if args.plot:
        metrics = numeric_columns(rows, exclude=set(spec.axis_names) | set(spec.fixed))
        metric = args.metric or ("accuracy" if "accuracy" in metrics else metrics[0] if metrics else None)
        if metric not in metrics:
            raise ParameterError("--metric", metric, " | ".join(metrics) or "a numeric result (no ok point)")
        report["plot"] = plot_sweep(rows, spec, metric, against, args.plot)
        report["metric"] = metric
    lines = [f"{run.total} points: {run.skipped} stored before, {run.computed} computed, {run.failed} failed "
             f"({run.executor}, {run.workers} workers, {run.wall_s:.1f} s"
             + (f", {report['points_per_min']} points/min)" if report["points_per_min"] else ")"),
             f"table: {parquet} and {csv}"]
    if report["plot"]:
        lines.append(f"plot: {report['plot']} ({report['metric']} against {', '.join(against)})")
    emit(args, report, "\n".join(lines))
    return 1 if run.failed else 0


def register(sub):
    from neuroxide.sweep import EXPERIMENTS
    p = sub.add_parser(
        "sweep", help="run an experiment over a grid of points (process pool or Dask cluster), resumable",
        formatter_class=lambda prog: __import__("argparse").RawDescriptionHelpFormatter(prog, width=100),
        description=textwrap.dedent("""\
            Run every point of a sweep file: an experiment, its fixed arguments and its axes (lists,
            {range = [start, stop, step]}, {linspace = [start, stop, n]}, [[zip]] groups of lists that vary
            together; seeds are axes too). Every point is checked before any runs. Each finished point is
            written at once to the store (one Parquet file per point, keyed by a hash of the point and the
            code version), so --resume after a crash, a killed worker or Ctrl-C runs only what is missing;
            a failing point is stored with its error and the sweep goes on. The table (STORE/table.parquet
            and .csv) has one row per point: every argument and every result field. docs/sweeps.md.

            experiments: """) + ", ".join(EXPERIMENTS),
        epilog=textwrap.dedent("""\
            examples:
              neuroxide sweep examples/sweeps/digits_devices.toml --workers 2
              neuroxide sweep S.toml --executor dask                            a LocalCluster here
              neuroxide sweep S.toml --executor dask --scheduler tcp://head:8786
              neuroxide sweep S.toml --resume --plot acc.png --against weight_bits,d2d_sigma
              neuroxide sweep --list                                            experiments and their arguments

            exit codes: 0 every point ok, 1 some point failed (stored with its error), 2 bad input
            JSON keys: experiment, name, points, skipped, computed, failed, store, table, csv, code_version,
            executor, workers, wall_s, points_per_min, point_compute_s, worker_deaths, axes, plot, metric"""))
    p.add_argument("spec", nargs="?", metavar="SPEC.toml", help="the sweep file")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local: a process pool on this machine (default); dask: a Dask cluster")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes (local pool, or the dask LocalCluster); default: the CPU count")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help="address of a running Dask scheduler (--executor dask; default: a LocalCluster)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S",
                   help="seconds to wait for the --scheduler to answer (default 10)")
    p.add_argument("--store", metavar="DIR", help="results folder (default: the file's store, else build/sweeps/NAME)")
    p.add_argument("--resume", action="store_true", help="continue a sweep: run only the points not stored")
    p.add_argument("--retry-failed", action="store_true", help="with --resume: run the failed points again too")
    p.add_argument("--plot", metavar="FILE.png", help="draw a result against one axis (line) or two (heat map)")
    p.add_argument("--metric", help="the result drawn (default accuracy, else the first numeric result)")
    p.add_argument("--against", metavar="AXIS[,AXIS]", help="the axes of the plot (default: the first one or two)")
    p.add_argument("--list", action="store_true", help="list the experiments and the arguments a sweep may set")
    add_json(p)
    p.set_defaults(func=cmd_sweep)
