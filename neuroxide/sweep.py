"""Sweeps: many plain calls of one experiment, on a process pool or a Dask cluster, none of them lost.

A sweep file (TOML) names an experiment (:data:`EXPERIMENTS`) and its points::

    experiment = "digits"
    [fixed]                       # arguments every point shares
    limit = 100
    [axes]                        # the grid: every combination, in this order
    weight_bits = [2, 3, 4]
    d2d_sigma = { range = [0.0, 0.2, 0.05] }     # start, stop (inclusive), step
    seed = { linspace = [1, 3, 3] }              # start, stop, count
    [[zip]]                       # lists that vary together: one more dimension of the grid
    stuck_at = [0.0, 0.05]
    write_sigma = [0.0, 0.02]

Axis and fixed names are the fields of the experiment's setup dataclass (``dataclasses.fields``),
so a field added to a setup is sweepable with no change here; ``NAME.KEY`` sets one key of a
mapping field (``params.lanes`` of ``build``, ``overrides.c_farad`` of ``device``); arguments of
the run function that are not setup fields (``simulator``) may be given too. Every point's setup is
built before any point runs: a bad value is a :class:`~neuroxide.errors.ParameterError` naming the
file's key (``axes.weight_bits``).

Each point is ``run_point(experiment, kwargs)`` (module level, so a process pool and Dask can
pickle it), which returns the result's ``to_dict()``. The driver writes each finished point at
once to the store (``points/<key>.parquet``, written atomically), keyed by a hash of the
experiment, the point's arguments and the code version (:func:`code_version`); a point that
raises is stored with its error and the sweep goes on. A resumed sweep skips every point already
stored, so a crash, a killed worker or Ctrl-C loses at most the points in flight. :func:`table`
joins the store into one row per point: the point's index, key, status, error, every fixed and axis
argument, every result field (dicts and lists of dicts flattened with dots: ``results.0.accuracy``;
other lists as JSON text).
"""

import dataclasses
import enum
import hashlib
import importlib.util
import inspect
import itertools
import json
import math
import os
import time
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from neuroxide.errors import ParameterError, ToolchainError
from neuroxide.experiments.nir import NIRImportSetup

__all__ = ["EXPERIMENTS", "Experiment", "SweepSpec", "SweepRun", "load_spec", "parse_spec", "code_version",
           "run_point", "run_sweep", "Store", "LocalExecutor", "DaskExecutor", "make_executor", "table",
           "comparable_rows", "to_arrow", "write_table", "plot_sweep", "numeric_columns", "build_setup", "point_key",
           "TIMING_COLUMNS", "NIRRunSetup", "BuildSetup", "SimulateSetup"]

SPEC_KEYS = ("experiment", "fixed", "axes", "zip", "store", "name")
MAX_POINTS = 1_000_000
WORKER_DEATHS = 3  # a point whose worker died this often is stored as failed, not retried forever
# what differs between two runs of the same points (clocks, hosts), so left out of table comparisons
TIMING_COLUMNS = ("worker",)


# --- experiments -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Experiment:
    """A sweepable experiment: ``setup`` (a dataclass validated on construction) and ``run``
    (``run(setup, **options) -> result`` with ``to_dict()``), both given as ``"module:name"`` so
    this table imports nothing until used. ``summary`` is for the help."""

    name: str
    setup: str
    run: str
    summary: str

    def _load(self, ref):
        module, name = ref.split(":")
        return getattr(importlib.import_module(module), name)

    @property
    def setup_class(self):
        return self._load(self.setup)

    @property
    def run_function(self):
        return self._load(self.run)

    def fields(self):
        """``{name: dataclasses.Field}`` of the setup."""
        return {f.name: f for f in dataclasses.fields(self.setup_class)}

    def options(self):
        """Keyword arguments of the run function besides the setup that a sweep may set (callbacks
        for progress are left out: a point reports only when it ends; so is ``build_dir``: each
        point builds in its own folder under the store, never in one it shares)."""
        params = list(inspect.signature(self.run_function).parameters.values())[1:]
        return {p.name: p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                and p.name not in ("progress", "rtl_progress", "on_status", "build_dir")}


EXPERIMENTS = {e.name: e for e in (
    Experiment("digits", "neuroxide.experiments.digits:DigitsSetup", "neuroxide.experiments.digits:run_digits",
               "8x8 digits on crossbar synapses: accuracy vs devices (float / model / rtl)"),
    Experiment("maxcut", "neuroxide.experiments.maxcut:MaxcutSetup", "neuroxide.experiments.maxcut:run_maxcut",
               "max-cut anneal on the oscillatory Ising machine"),
    Experiment("hopfield", "neuroxide.experiments.hopfield:HopfieldSetup",
               "neuroxide.experiments.hopfield:run_hopfield", "associative memory on the ONN"),
    Experiment("izhikevich", "neuroxide.experiments.izhikevich:IzhikevichSetup",
               "neuroxide.experiments.izhikevich:run_izhikevich", "Izhikevich firing patterns, float vs fixed"),
    Experiment("hh", "neuroxide.experiments.hh:HHSetup", "neuroxide.experiments.hh:run_hh",
               "Hodgkin-Huxley, float vs fixed point"),
    Experiment("device", "neuroxide.experiments.device:DeviceSetup", "neuroxide.experiments.device:run_device",
               "device fit / calibration of a preset with overrides"),
    Experiment("nir", "neuroxide.sweep:NIRRunSetup", "neuroxide.sweep:run_nir_point",
               "nir run: a NIR file on the core with random input spikes"),
    Experiment("build", "neuroxide.sweep:BuildSetup", "neuroxide.sweep:run_build",
               "place and route of a design on a board (yosys + nextpnr): LUTs, FFs, Fmax"),
    Experiment("simulate", "neuroxide.sweep:SimulateSetup", "neuroxide.sweep:run_simulate",
               "cocotb run of a design against its model: mismatches, cycles/s"),
)}


@dataclass(frozen=True)
class NIRRunSetup(NIRImportSetup):
    """``nir run`` as one setup: the import (:class:`~neuroxide.experiments.nir.NIRImportSetup`'s
    fields) and random input spikes (``steps`` x ``batch`` at ``rate``, drawn with ``seed``) on
    ``backend`` with ``lanes`` synapses per clock (rtl)."""

    backend: str = "model"
    steps: int = 100
    batch: int = 16
    rate: float = 0.2
    lanes: int | None = None

    def __post_init__(self):
        from neuroxide.experiments.backends import check_backend
        from neuroxide.experiments.checks import check_range
        from neuroxide.experiments.nir import BACKENDS, MAX_RANDOM, check_lanes
        super().__post_init__()
        check_backend(self.backend, BACKENDS)
        check_range("steps", self.steps, 1, MAX_RANDOM)
        check_range("batch", self.batch, 1, MAX_RANDOM)
        check_range("rate", self.rate, 0.0, 1.0, kind=float)
        check_lanes(self.lanes)

    def import_setup(self):
        return NIRImportSetup(**{f.name: getattr(self, f.name) for f in dataclasses.fields(NIRImportSetup)})


def run_nir_point(setup, simulator=None, build_dir="build/nir"):
    """:func:`~neuroxide.experiments.nir.run_nir` of ``setup`` -> its result."""
    from neuroxide.experiments.nir import import_nir, random_input, run_nir
    net, mapping = import_nir(setup.import_setup())
    spikes = random_input(net.n_in, setup.steps, setup.batch, setup.rate, setup.seed)
    return run_nir(net, mapping, spikes, setup.backend, simulator, build_dir, setup.lanes)


@dataclass(frozen=True)
class BuildSetup:
    """A board build: ``design`` with ``params`` (``-p NAME=VALUE``) on ``board``."""

    design: str
    board: str
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        from neuroxide.boards.platforms import get_board
        self.config()
        get_board(self.board)

    def config(self):
        from neuroxide.designs import configure
        return configure(self.design, dict(self.params))


@dataclass
class _DictResult:
    data: dict

    def to_dict(self):
        return self.data


def run_build(setup, build_dir="build/boards"):
    """:func:`neuroxide.flow.build_design` of ``setup`` (the ``build`` command's JSON)."""
    from neuroxide.flow import build_design
    return _DictResult(build_design(setup.config(), setup.board, build_dir))


@dataclass(frozen=True)
class SimulateSetup:
    """A cocotb run: ``design`` with ``params`` for ``steps`` steps on ``simulator`` (None: the
    default one)."""

    design: str
    params: dict = field(default_factory=dict)
    steps: int = 1000
    simulator: str | None = None

    def __post_init__(self):
        from neuroxide.experiments.checks import check_range
        from neuroxide.flow import MAX_STEPS
        self.config()
        check_range("steps", self.steps, 1, MAX_STEPS)
        if self.simulator is not None:
            from neuroxide.flow import WAVE_FORMAT
            from neuroxide.experiments.checks import check_choice
            check_choice("simulator", self.simulator, tuple(WAVE_FORMAT))

    def config(self):
        from neuroxide.designs import configure
        return configure(self.design, dict(self.params))


def run_simulate(setup, build_dir="build/sim"):
    """:func:`neuroxide.flow.simulate_design` of ``setup`` (the ``simulate`` command's JSON)."""
    from neuroxide.flow import simulate_design
    return _DictResult(simulate_design(setup.config(), setup.simulator, setup.steps, build_dir))


# --- the sweep file ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep: ``experiment``, ``fixed`` arguments, ``dims`` (each a list of
    ``{name: value}`` points of one dimension: an axis or a zip group) and ``source`` (the file key
    that gave each argument, for errors)."""

    experiment: str
    fixed: dict
    dims: tuple
    source: dict
    name: str = "sweep"
    store: str | None = None

    @property
    def axis_names(self):
        return [name for dim in self.dims for name in dim[0]]

    def points(self):
        """Every point's arguments, ``fixed | axes``, in grid order (last axis fastest)."""
        for combo in itertools.product(*self.dims):
            kwargs = dict(self.fixed)
            for part in combo:
                kwargs.update(part)
            yield kwargs

    @property
    def size(self):
        return math.prod(len(d) for d in self.dims)


def load_spec(path, field_name="spec"):
    """Read and check the sweep file at ``path`` -> :class:`SweepSpec` (ParameterError naming the key)."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ParameterError(field_name, str(path), "a readable TOML sweep file", why=exc.strerror) from None
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(field_name, str(path), "a TOML sweep file", why=str(exc)) from None
    return parse_spec(data, name=Path(path).stem)


def _number_list(key, spec, kind):
    """``{range = [start, stop, step]}`` (stop included) or ``{linspace = [start, stop, n]}``."""
    if not isinstance(spec, list) or len(spec) != 3 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in spec):
        raise ParameterError(key, spec, f"{kind} = [start, stop, {'step' if kind == 'range' else 'count'}] "
                             "of finite numbers")
    start, stop, third = spec
    ints = all(isinstance(v, int) for v in (start, stop)) and (kind == "linspace" or isinstance(third, int))
    if kind == "range":
        if third == 0 or (stop - start) / third < 0:
            raise ParameterError(key, spec, "a step that goes from start towards stop (not 0)")
        count = math.floor((stop - start) / third + 1e-9) + 1
    else:
        if not isinstance(third, int) or third < 1:
            raise ParameterError(key, spec, "linspace = [start, stop, count] with count >= 1")
        count = third
    if count > MAX_POINTS:
        raise ParameterError(key, spec, f"at most {MAX_POINTS} values")
    if kind == "range":
        values = [start + k * third for k in range(count)]
    else:
        step = (stop - start) / (count - 1) if count > 1 else 0
        values = [start + k * step for k in range(count)]
        ints = ints and all(float(v).is_integer() for v in values)
    # 0.1 * 3 is 0.30000000000000004: round away the binary noise of the steps
    return [int(round(v)) if ints else float(f"{v:.12g}") for v in values]


def _axis_values(key, value):
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in ("range", "linspace"):
            raise ParameterError(key, value, "a list, {range = [start, stop, step]} or {linspace = [start, stop, n]}")
        kind, spec = next(iter(value.items()))
        values = _number_list(f"{key}.{kind}", spec, kind)
    elif isinstance(value, list):
        values = value
    else:
        raise ParameterError(key, value, "a list of values, {range = [...]} or {linspace = [...]}")
    if not values:
        raise ParameterError(key, value, "at least one value", why="empty axis")
    return values


def _dotted(axes):
    """``params.lanes = [..]`` unquoted is TOML's nested table ``params = {lanes = [..]}``: back to
    the dotted name (a table holding only ``range`` or ``linspace`` is an axis, not a nesting)."""
    out = {}
    for arg, value in axes.items():
        if isinstance(value, dict) and value and not (len(value) == 1 and next(iter(value)) in ("range", "linspace")):
            out |= {f"{arg}.{k}": v for k, v in _dotted(value).items()}
        else:
            out[arg] = value
    return out


def parse_spec(data, name="sweep"):
    """Check a sweep (the TOML file as a dict) against its experiment -> :class:`SweepSpec`.

    Every key is known, every axis non-empty and every point's setup constructs; a ParameterError
    names the file's key (``axes.seed``, ``zip[0].stuck_at``, ``fixed.limit``, ``experiment``).
    """
    if not isinstance(data, dict):
        raise ParameterError("spec", data, "a TOML table")
    for key in data:
        if key not in SPEC_KEYS:
            raise ParameterError(key, data[key], " | ".join(SPEC_KEYS), why="unknown key of the sweep file")
    experiment = data.get("experiment")
    if experiment not in EXPERIMENTS:
        raise ParameterError("experiment", experiment, " | ".join(EXPERIMENTS))
    exp = EXPERIMENTS[experiment]
    for key in ("fixed", "axes"):
        if not isinstance(data.get(key, {}), dict):
            raise ParameterError(key, data[key], "a table of NAME = VALUE")
    zips = data.get("zip", [])
    if not isinstance(zips, list) or not all(isinstance(z, dict) for z in zips):
        raise ParameterError("zip", zips, "[[zip]] tables of NAME = [values], all of one length")
    for key in ("store", "name"):
        if key in data and not (isinstance(data[key], str) and data[key]):
            raise ParameterError(key, data[key], "a non-empty string")
    source = {}
    fixed = {}
    for arg, value in data.get("fixed", {}).items():
        source[arg] = f"fixed.{arg}"
        fixed[arg] = value
    dims = []
    for arg, value in _dotted(data.get("axes", {})).items():
        key = f"axes.{arg}"
        if arg in source:
            raise ParameterError(key, value, "an argument given once", why=f"also set by {source[arg]}")
        source[arg] = key
        dims.append(tuple({arg: v} for v in _axis_values(key, value)))
    for i, group in enumerate(zips):
        lists = {}
        for arg, value in group.items():
            key = f"zip[{i}].{arg}"
            if arg in source:
                raise ParameterError(key, value, "an argument given once", why=f"also set by {source[arg]}")
            source[arg] = key
            lists[arg] = _axis_values(key, value)
        if not lists:
            raise ParameterError(f"zip[{i}]", group, "at least one NAME = [values]", why="empty zip")
        lengths = {len(v) for v in lists.values()}
        if len(lengths) != 1:
            raise ParameterError(f"zip[{i}]", {k: len(v) for k, v in lists.items()}, "lists of one length")
        dims.append(tuple(dict(zip(lists, vals)) for vals in zip(*lists.values())))
    spec = SweepSpec(experiment, fixed, tuple(dims), source, data.get("name", name), data.get("store"))
    if spec.size > MAX_POINTS:
        raise ParameterError("axes", spec.size, f"at most {MAX_POINTS} points")
    _check_arguments(exp, spec)
    return spec


def _type_ok(value, annotation):
    """Whether a TOML value fits a setup field's annotation (unknown annotations pass: the setup
    checks them)."""
    if annotation is inspect.Parameter.empty or annotation is typing.Any:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return isinstance(value, (str, annotation))
        if annotation is float:
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if annotation is int:
            return isinstance(value, int) and not isinstance(value, bool)
        if annotation in (tuple, list):
            return isinstance(value, (list, tuple))
        if annotation is dict:
            return isinstance(value, dict)
        if annotation in (str, bool):
            return isinstance(value, annotation)
    return True


def _check_arguments(exp, spec):
    """Every argument is a setup field, a ``FIELD.KEY`` of a mapping field or a run option, of the
    right type; then every point's setup is constructed (before any point runs)."""
    fields = exp.fields()
    options = exp.options()
    hints = typing.get_type_hints(exp.setup_class)
    seen = {}
    for dim in spec.dims:
        for part in dim:
            for arg, value in part.items():
                seen.setdefault(arg, []).append(value)
    for arg, value in spec.fixed.items():
        seen[arg] = [value]
    for arg, vals in seen.items():
        key = spec.source[arg]
        head, _, sub = arg.partition(".")
        if sub:
            if head not in fields or hints.get(head) is not dict:
                allowed = [n for n in fields if hints.get(n) is dict]
                raise ParameterError(key, vals[0], " | ".join(f"{n}.KEY" for n in allowed) or "no mapping fields",
                                     why=f"not a mapping field of {exp.name}")
            if head in spec.source:
                raise ParameterError(key, vals[0], f"{head} or {head}.KEY, not both")
            continue
        if arg in fields:
            annotation = hints.get(arg, inspect.Parameter.empty)
        elif arg in options:
            param = options[arg]
            annotation = param.annotation if param.annotation is not param.empty else (
                type(param.default) if param.default not in (None, param.empty) else inspect.Parameter.empty)
        else:
            raise ParameterError(key, vals[0], " | ".join(list(fields) + list(options)),
                                 why=f"not an argument of {exp.name}")
        for v in vals:
            if isinstance(v, (dict, list)) and arg in options:
                raise ParameterError(key, v, "a number, string or boolean")
            if not _type_ok(v, annotation):
                raise ParameterError(key, v, getattr(annotation, "__name__", str(annotation)),
                                     why=f"a {type(v).__name__} value")
    required = [n for n, f in fields.items() if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    for n in required:
        if n not in spec.source:
            raise ParameterError(f"fixed.{n}", None, f"a value (required by {exp.name})", why="missing")
    for kwargs in spec.points():
        try:
            build_setup(exp, kwargs)
        except ParameterError as exc:
            key = spec.source.get(exc.field)
            if key is None:  # a field checked with another's value (patterns <= n): name the sweep's keys
                key = exc.field
            raise ParameterError(key, exc.value, exc.allowed, why=exc.why) from None
        except (TypeError, ValueError, KeyError) as exc:
            raise ParameterError("axes", kwargs, f"arguments {exp.name} accepts", why=str(exc)) from None


def build_setup(exp, kwargs):
    """``(setup, options)`` of one point: setup fields (``FIELD.KEY`` merged into mapping fields)
    and the run function's other arguments."""
    fields = exp.fields()
    setup_kw, options = {}, {}
    for arg, value in kwargs.items():
        head, _, sub = arg.partition(".")
        if sub:
            setup_kw.setdefault(head, {})[sub] = value
        elif arg in fields:
            setup_kw[arg] = tuple(value) if isinstance(value, list) else value
        else:
            options[arg] = value
    return exp.setup_class(**setup_kw), options


# --- one point -----------------------------------------------------------------------------------

def code_version():
    """``neuroxide VERSION+SOURCEHASH``: the package version and a hash of every file of the
    installed packages (neuroxide and the folders package-dir maps: models, rtl ...), so it works
    without git and changes with any edit that can change a result (read afresh on every call: a
    long-lived driver sees an edit made since its last sweep)."""
    import neuroxide
    digest = hashlib.sha256()
    roots = {"neuroxide": Path(neuroxide.__path__[0])}
    for sub in ("models", "rtl", "testbench", "boards"):
        spec = importlib.util.find_spec(f"neuroxide.{sub}")
        if spec and spec.submodule_search_locations:
            roots[sub] = Path(spec.submodule_search_locations[0])
    files = {}
    for label, root in roots.items():
        for path in root.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                files[f"{label}/{path.relative_to(root).as_posix()}"] = path
    for name in sorted(files):  # relative names: the same code hashes the same in any folder
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name].read_bytes()).digest())
    return f"{neuroxide.__version__}+{digest.hexdigest()[:12]}"


def point_key(experiment, kwargs, version):
    """Hash of the experiment, a point's arguments and the code version (hex, 24 digits)."""
    text = json.dumps({"experiment": experiment, "arguments": kwargs, "code": version}, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _jsonable(value):
    import numpy as np
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    return value


def run_point(experiment, kwargs, build_dir=None):
    """Run one point: ``run(setup, **options)`` of ``EXPERIMENTS[experiment]`` -> the result's
    ``to_dict()`` (JSON-able). ``build_dir``: the point's own build folder when the run function
    takes one (parallel points never share a simulator or place-and-route folder)."""
    exp = EXPERIMENTS[experiment]
    setup, options = build_setup(exp, kwargs)
    if build_dir is not None and "build_dir" in inspect.signature(exp.run_function).parameters:
        options["build_dir"] = build_dir
    return _jsonable(exp.run_function(setup, **options).to_dict())


def _point_task(experiment, kwargs, build_dir):
    """What a worker runs: never raises (the error is the point's result), reports the worker."""
    import socket
    import traceback
    from threadpoolctl import threadpool_limits
    t0 = time.perf_counter()
    try:
        # the sweep's parallelism is its points: one BLAS/OpenMP thread per point, else W workers each
        # start one thread per core and a 2-worker sweep ran slower than one worker (3.7x the CPU)
        with threadpool_limits(limits=1):
            result, error = run_point(experiment, kwargs, build_dir), None
    except Exception as exc:  # a failing point is recorded and the sweep goes on
        result = None
        error = f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_exc(limit=-3))
    return {"result": result, "error": error, "point_wall_s": round(time.perf_counter() - t0, 4),
            "worker": f"{socket.gethostname()}:{os.getpid()}"}


# --- the store -----------------------------------------------------------------------------------

STORE_SCHEMA_FIELDS = ("key", "index", "experiment", "code_version", "arguments", "status", "error", "result",
                       "point_wall_s", "worker", "finished")


class Store:
    """The results of one sweep: ``folder/points/<key>.parquet``, one row per finished point,
    each written whole (a temporary file renamed) the moment the point ends."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.points = self.folder / "points"

    def keys(self):
        """Keys of the points stored (ok or failed)."""
        if not self.points.is_dir():
            return set()
        return {p.name[:-len(".parquet")] for p in self.points.glob("*.parquet")}

    def write(self, row):
        import pyarrow as pa
        import pyarrow.parquet as pq
        self.points.mkdir(parents=True, exist_ok=True)
        path = self.points / f"{row['key']}.parquet"
        tmp = self.points / f".{row['key']}.{os.getpid()}.tmp"
        table = pa.Table.from_pylist([{k: row[k] for k in STORE_SCHEMA_FIELDS}], schema=_store_schema())
        pq.write_table(table, tmp)
        os.replace(tmp, path)
        return path

    def read(self, keys=None):
        """``{key: row}`` of the stored points (``keys``: only these)."""
        import pyarrow.parquet as pq
        rows = {}
        for key in sorted(self.keys() if keys is None else set(keys) & self.keys()):
            for row in pq.read_table(self.points / f"{key}.parquet").to_pylist():
                rows[row["key"]] = row
        return rows


def _store_schema():
    import pyarrow as pa
    return pa.schema([("key", pa.string()), ("index", pa.int64()), ("experiment", pa.string()),
                      ("code_version", pa.string()), ("arguments", pa.string()), ("status", pa.string()),
                      ("error", pa.string()), ("result", pa.string()), ("point_wall_s", pa.float64()),
                      ("worker", pa.string()), ("finished", pa.float64())])


# --- executors -----------------------------------------------------------------------------------

class LocalExecutor:
    """A process pool on this machine (``workers`` processes). A worker that dies breaks the pool:
    the points in flight are submitted again on a new pool (at most :data:`WORKER_DEATHS` times)."""

    name = "local"

    def __init__(self, workers=None):
        self.workers = workers or os.cpu_count() or 1
        self.pool = None
        self.worker_deaths = 0

    def __enter__(self):
        self._new_pool()
        return self

    def _new_pool(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        # forkserver: workers start from a clean interpreter (no driver threads, no inherited locks)
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"))

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown(wait=exc[0] is None, cancel_futures=True)
        return False

    def worker_pids(self):
        return [p.pid for p in list((self.pool._processes or {}).values())]

    def run(self, tasks, on_done):
        """Run ``tasks`` (``{key: (experiment, kwargs, build_dir)}``); ``on_done(key, outcome)`` as
        each ends, in the driver."""
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool
        pending = dict(tasks)
        deaths = {}
        while pending:
            futures = {self.pool.submit(_point_task, *task): key for key, task in pending.items()}
            broken = False
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    key = futures.pop(fut)
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    pending.pop(key)
                    on_done(key, outcome)
                if broken:
                    break
            if broken:
                self.worker_deaths += 1
                self.pool.shutdown(wait=False, cancel_futures=True)
                for key in list(pending):
                    deaths[key] = deaths.get(key, 0) + 1
                    if deaths[key] >= WORKER_DEATHS:
                        pending.pop(key)
                        on_done(key, {"result": None, "error": f"worker died {deaths[key]} times running this point",
                                      "point_wall_s": None, "worker": None})
                self._new_pool()


class DaskExecutor:
    """An existing Dask cluster (``scheduler``: ``tcp://HOST:8786``), or with no address a
    LocalCluster of ``workers`` processes (one thread each). Dask reschedules the tasks of a worker
    that dies; a task that killed :data:`WORKER_DEATHS` workers ends as failed."""

    name = "dask"

    def __init__(self, scheduler=None, workers=None, timeout_s=10):
        self.scheduler = scheduler
        self.workers = workers or os.cpu_count() or 1
        self.timeout_s = timeout_s
        self.cluster = self.client = None

    def __enter__(self):
        import dask
        from distributed import Client, LocalCluster
        if self.scheduler is None:
            # the scheduler runs in this process: a task may kill WORKER_DEATHS workers before it fails
            with dask.config.set({"distributed.scheduler.allowed-failures": WORKER_DEATHS - 1}):
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=40)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(self.scheduler, timeout=f"{self.timeout_s}s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ParameterError("scheduler", self.scheduler, "the address of a running Dask scheduler "
                                     "(tcp://HOST:8786)", why=f"{type(exc).__name__}: {exc}") from None
            self.workers = len(self.client.nthreads())  # the cluster's workers, not ours
        return self

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        return False

    def worker_pids(self):
        return list(self.client.run(os.getpid).values())

    def check_code(self, version):
        """Every worker runs the code this driver hashes, else a ToolchainError listing them."""
        versions = self.client.run(code_version)
        other = {w: v for w, v in versions.items() if v != version}
        if other:
            raise ToolchainError(f"Dask workers run other code than this driver ({version}): {other}; "
                                 "install the same neuroxide on every worker")
        if not versions:
            raise ToolchainError(f"the Dask scheduler {self.scheduler} has no workers")

    def run(self, tasks, on_done):
        from distributed import as_completed
        from distributed.scheduler import KilledWorker
        futures = {}
        for key, task in tasks.items():
            futures[self.client.submit(_point_task, *task, key=f"point-{key}", pure=False)] = key
        try:
            for fut in as_completed(futures):
                key = futures[fut]
                try:
                    outcome = fut.result()
                except KilledWorker as exc:
                    outcome = {"result": None, "error": f"KilledWorker: {exc}", "point_wall_s": None, "worker": None}
                on_done(key, outcome)
                fut.release()
        finally:
            for fut in futures:
                fut.cancel()


def make_executor(kind="local", workers=None, scheduler=None, timeout_s=10):
    """The executor named ``kind`` (``local`` or ``dask``; ``timeout_s``: to reach ``scheduler``)."""
    if kind == "local":
        if scheduler is not None:
            raise ParameterError("scheduler", scheduler, "only with executor dask")
        return LocalExecutor(workers)
    if kind == "dask":
        if scheduler is not None and not (isinstance(scheduler, str) and "://" in scheduler):
            raise ParameterError("scheduler", scheduler, "an address such as tcp://HOST:8786")
        return DaskExecutor(scheduler, workers, timeout_s)
    raise ParameterError("executor", kind, "local | dask")


# --- the sweep -----------------------------------------------------------------------------------

@dataclass
class SweepRun:
    """What :func:`run_sweep` did: points in the sweep, stored before (skipped), computed now,
    failed (in the store), the store and the wall time."""

    spec: SweepSpec
    store: Store
    code_version: str
    total: int
    skipped: int
    computed: int
    failed: int
    wall_s: float
    executor: str
    workers: int
    worker_deaths: int = 0
    compute_s: float = 0.0
    driver_s: float = 0.0

    def to_dict(self):
        rate = self.computed / self.wall_s * 60 if self.wall_s > 0 and self.computed else None
        return {"experiment": self.spec.experiment, "name": self.spec.name, "points": self.total,
                "skipped": self.skipped, "computed": self.computed, "failed": self.failed,
                "store": str(self.store.folder), "code_version": self.code_version, "executor": self.executor,
                "workers": self.workers, "wall_s": round(self.wall_s, 3),
                "points_per_min": None if rate is None else round(rate, 2),
                "point_compute_s": round(self.compute_s, 3), "driver_s": round(self.driver_s, 3),
                "worker_deaths": self.worker_deaths}


def run_sweep(spec, store, executor, resume=False, retry_failed=False, on_point=None, on_start=None, version=None):
    """Run the points of ``spec`` not yet in ``store`` on ``executor`` (an unentered
    :class:`LocalExecutor` / :class:`DaskExecutor`) -> :class:`SweepRun`.

    Without ``resume`` the store must not hold points of an earlier run (ParameterError naming
    ``store``). ``retry_failed``: run again the points stored as failed. ``on_start(total, todo,
    executor)`` once before the first point; ``on_point(row, executor)`` after each point is stored
    (in the driver; it may raise KeyboardInterrupt to stop: what is stored stays). ``version``:
    the code version in the points' keys (default :func:`code_version`, which the workers of a
    Dask cluster must share; a given one is taken as is).
    """
    store = store if isinstance(store, Store) else Store(store)
    check_workers = version is None
    points = list(spec.points())
    stored = store.keys()
    if stored and not resume:
        raise ParameterError("store", str(store.folder), "a new folder, or resume to continue the sweep there",
                             why=f"it holds {len(stored)} points of an earlier run")

    def plan(version):
        keys = [point_key(spec.experiment, kw, version) for kw in points]
        done_before = set(stored)
        if retry_failed and done_before:
            done_before -= {k for k, row in store.read(done_before & set(keys)).items() if row["status"] != "ok"}
        todo = {}
        for index, (key, kw) in enumerate(zip(keys, points)):
            if key not in done_before and key not in todo:
                todo[key] = (index, kw)
        return keys, todo, len(set(keys) & done_before)

    version = code_version() if version is None else version
    keys, todo, skipped = plan(version)
    import pyarrow.parquet  # noqa: F401  (imported before the clock starts: the driver's cost per point is the write)
    t0 = time.perf_counter()
    counts = {"computed": 0, "failed": 0, "compute_s": 0.0, "driver_s": 0.0}
    with executor as ex:
        if isinstance(ex, DaskExecutor) and check_workers:
            # hashed again beside the workers' own hashes: an edit made while the cluster started counts
            if code_version() != version:
                version = code_version()
                keys, todo, skipped = plan(version)
            ex.check_code(version)
        if on_start:
            on_start(len(points), len(todo), ex)
        if todo:
            store.folder.mkdir(parents=True, exist_ok=True)
            _write_manifest(store, spec, version)

        def done(key, outcome):
            t_done = time.perf_counter()
            index, kw = todo[key]
            status = "ok" if outcome["error"] is None else "failed"
            row = {"key": key, "index": index, "experiment": spec.experiment, "code_version": version,
                   "arguments": json.dumps(kw, sort_keys=True, default=str), "status": status,
                   "error": outcome["error"], "result": None if outcome["result"] is None else json.dumps(
                       outcome["result"], sort_keys=True), "point_wall_s": outcome["point_wall_s"],
                   "worker": outcome["worker"], "finished": time.time()}
            store.write(row)
            counts["computed"] += 1
            counts["failed"] += status != "ok"
            counts["compute_s"] += outcome["point_wall_s"] or 0.0
            counts["driver_s"] += time.perf_counter() - t_done  # the store's work: serial in the driver
            if on_point:
                on_point(row, ex)

        tasks = {key: (spec.experiment, kw, str(store.folder / "build" / key)) for key, (_, kw) in todo.items()}
        ex.run(tasks, done)
        deaths = getattr(ex, "worker_deaths", 0)
    failed = sum(1 for row in store.read(set(keys)).values() if row["status"] != "ok")
    return SweepRun(spec, store, version, len(points), skipped, counts["computed"], failed,
                    time.perf_counter() - t0, executor.name, executor.workers, deaths, counts["compute_s"],
                    counts["driver_s"])


def _write_manifest(store, spec, version):
    from neuroxide.fileio import write_json
    write_json(store.folder / "sweep.json", {"experiment": spec.experiment, "name": spec.name, "fixed": spec.fixed,
                                             "axes": spec.axis_names, "points": spec.size, "code_version": version},
               field="store")


# --- the table -----------------------------------------------------------------------------------

def _flatten(prefix, value, out):
    """Nested dicts, and lists of dicts (per-noise-level rows, per-layer info), become dotted
    columns (``results.0.accuracy``); other lists stay one column of JSON text."""
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            _flatten(f"{prefix}.{i}", v, out)
    elif isinstance(value, list):
        out[prefix] = json.dumps(value)
    else:
        out[prefix] = value


def table(spec, store, version=None):
    """One row per point of ``spec`` (grid order): ``point, key, status, error``, every argument,
    every result field (dicts and lists of dicts flattened with dots, other lists as JSON text; a
    result field named like an argument gets the prefix ``result.``), then
    ``point_wall_s`` and ``worker``. Points not stored have status ``missing``. ``version``: the
    code version of the keys (default: this code's)."""
    store = store if isinstance(store, Store) else Store(store)
    version = code_version() if version is None else version
    points = list(spec.points())
    keys = [point_key(spec.experiment, kw, version) for kw in points]
    stored = store.read(set(keys))
    rows = []
    for index, (key, kw) in enumerate(zip(keys, points)):
        row = {"point": index, "key": key}
        rec = stored.get(key)
        row["status"] = rec["status"] if rec else "missing"
        row["error"] = rec["error"].splitlines()[0] if rec and rec["error"] else None
        args = {}
        for k, v in kw.items():
            _flatten(k, v, args)
        row |= args
        if rec and rec["result"]:
            res = {}
            _flatten("", json.loads(rec["result"]), res)
            for k, v in res.items():
                row[f"result.{k}" if k in args or k in ("point", "key", "status", "error") else k] = v
        row["point_wall_s"] = rec["point_wall_s"] if rec else None
        row["worker"] = rec["worker"] if rec else None
        rows.append(row)
    return rows


def comparable_rows(rows):
    """``rows`` without what differs between two runs of the same points on other workers: the
    worker, and every wall-clock time (columns ending in ``wall_s`` or ``build_s``)."""
    return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS and not k.endswith(("wall_s", "build_s"))}
            for row in rows]


def _column_type(values):
    import pyarrow as pa
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.bool_()
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64()
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pa.float64()
    return pa.string()


def to_arrow(rows):
    """``rows`` as a pyarrow Table, the columns in first-seen order (mixed types as text)."""
    import pyarrow as pa
    columns = list(dict.fromkeys(k for row in rows for k in row))
    arrays = {}
    for col in columns:
        values = [row.get(col) for row in rows]
        kind = _column_type(values)
        if kind == pa.string():
            values = [None if v is None else v if isinstance(v, str) else json.dumps(v) for v in values]
        elif kind == pa.float64():
            values = [None if v is None else float(v) for v in values]
        arrays[col] = pa.array(values, type=kind)
    return pa.table(arrays)


def write_table(rows, folder, name="table"):
    """``folder/NAME.parquet`` and ``folder/NAME.csv`` of ``rows``, each written whole; returns both paths."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    from neuroxide.fileio import atomic_path
    data = to_arrow(rows)
    folder = Path(folder)
    paths = folder / f"{name}.parquet", folder / f"{name}.csv"
    with atomic_path(paths[0], field="store") as tmp:
        pq.write_table(data, tmp)
    with atomic_path(paths[1], field="store") as tmp:
        pcsv.write_csv(data, tmp)
    return tuple(str(p) for p in paths)


def numeric_columns(rows, exclude=()):
    """Result columns holding numbers in every ok row."""
    ok = [r for r in rows if r["status"] == "ok"]
    cols = []
    for col in dict.fromkeys(k for r in ok for k in r):
        if col in exclude or col in ("point",):
            continue
        vals = [r.get(col) for r in ok]
        if vals and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            cols.append(col)
    return cols


def plot_sweep(rows, spec, metric, against, path):
    """``metric`` of the ok points against one axis (a line: the mean over every other axis, with
    its min..max band) or two (a heat map of the mean), saved as PNG at ``path``."""
    import numpy as np

    from neuroxide.fileio import save_figure
    from neuroxide.plots import new_figure
    ok = [r for r in rows if r["status"] == "ok" and isinstance(r.get(metric), (int, float))]
    if not ok:
        raise ParameterError("metric", metric, "a numeric result of at least one ok point")

    def levels(axis):
        return sorted({r[axis] for r in ok}, key=lambda v: (isinstance(v, str), v))

    rest = [a for a in spec.axis_names if a not in against]
    over = f" (mean over {', '.join(rest)})" if rest else ""
    if len(against) == 1:
        (x,) = against
        xs = levels(x)
        groups = [[r[metric] for r in ok if r[x] == v] for v in xs]
        mean = [float(np.mean(g)) for g in groups]
        fig = new_figure(figsize=(6.5, 4.2), layout="constrained")
        ax = fig.add_subplot()
        numeric = all(isinstance(v, (int, float)) for v in xs)
        pos = xs if numeric else list(range(len(xs)))
        ax.plot(pos, mean, "o-", color="C0", label="mean")
        if any(len(g) > 1 for g in groups):
            ax.fill_between(pos, [min(g) for g in groups], [max(g) for g in groups], color="C0", alpha=0.2,
                            label="min..max")
            ax.legend(fontsize=8)
        if not numeric:
            ax.set_xticks(pos, [str(v) for v in xs])
        ax.set_xlabel(x)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    else:
        x, y = against
        xs, ys = levels(x), levels(y)
        grid = np.full((len(ys), len(xs)), np.nan)
        for i, vy in enumerate(ys):
            for j, vx in enumerate(xs):
                vals = [r[metric] for r in ok if r[x] == vx and r[y] == vy]
                if vals:
                    grid[i, j] = np.mean(vals)
        fig = new_figure(figsize=(1.2 + 0.9 * len(xs), 1.4 + 0.55 * len(ys)), layout="constrained")
        ax = fig.add_subplot()
        im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
        fig.colorbar(im, ax=ax, label=metric)
        ax.set_xticks(range(len(xs)), [f"{v:g}" if isinstance(v, float) else str(v) for v in xs])
        ax.set_yticks(range(len(ys)), [f"{v:g}" if isinstance(v, float) else str(v) for v in ys])
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        span = np.nanmax(grid) - np.nanmin(grid) if np.isfinite(grid).any() else 0
        for i in range(len(ys)):
            for j in range(len(xs)):
                if np.isfinite(grid[i, j]):
                    bright = span == 0 or grid[i, j] > np.nanmin(grid) + span / 2
                    ax.text(j, i, f"{grid[i, j]:.3g}", ha="center", va="center", fontsize=7,
                            color="k" if bright else "w")
    ax.set_title(f"{spec.name}: {metric}{over}", fontsize=10)
    return save_figure(fig, path)
