"""The compiled back end of the ops layer: a rule traced once into scalar source, JIT-compiled by numba.

The update rules (``lif_step``, ``onn_update``, the SNN core's synapse rules) stay the single
source. :class:`SourceOps` is a third back end of the ops layer, next to numpy (models/) and
Amaranth (rtl/): running a rule on it does not compute anything, it *records* each operation as a
line of straight-line scalar Python (``_t3 = min(max(_t2, P_v_lo), P_v_hi)``). The recorded body is
pasted into a loop over neurons (and steps), written to a module file and compiled with
``numba.njit``. No rule is rewritten by hand: the loops around it (crossbar sums, the ONN's weighted
sum, the step loop) are the kernels' only own code, and they are the same integer sums the numpy
models compute.

Parameters are runtime values, not literals: every integer field of a parameter dataclass the rule
reads becomes a traced value ``P_<name>`` loaded from a parameter vector, so one compiled kernel
serves every parameter set of the same *structure*. Where the rule branches in Python on a
parameter (``if p.noise_bits:``, ``reset_mode``, ``v_min is None``) the trace follows the concrete
value and the branch taken shows in the source; the kernel is looked up by the source text, so two
parameter sets share a kernel exactly when their traces are equal, and a trace is by construction
right for the parameters it was taken with.

Bit-exactness with :data:`~neuroxide.models.fixedpoint.NUMPY`: every value is an int64 scalar
(inputs are widened on load), numba's int64 ``+ - * & | ^`` wrap like numpy's and ``>>`` is
arithmetic on both, ``clamp`` is ``min(max(x, lo), hi)`` (saturate, never wrap), ``select`` is a
conditional expression, booleans stay booleans (``~`` on a boolean is logical not, as on numpy
bool arrays) and widen to 0/1 where they meet arithmetic, as numpy's do. The rules keep every
intermediate far inside int64 (fixedpoint.py), so neither side wraps. tests/test_compiled.py checks
the full state of every model against numpy at every step over random parameters and inputs.

Compiled kernels are cached twice: in memory per process, and on disk as module files in
``$NEUROXIDE_KERNEL_CACHE`` (default ``$XDG_CACHE_HOME/neuroxide/kernels``, i.e.
``~/.cache/neuroxide/kernels``) with numba's own cache beside them, so a later process loads a
kernel in milliseconds instead of compiling it again (about a second per kernel).
"""

import hashlib
import importlib.util
import os
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import numpy as np

from .fixedpoint import FixedPointParams

__all__ = ["SourceOps", "TracedValue", "trace_rule", "compile_kernel", "kernel_cache_dir",
           "LIFKernel", "lif_kernel", "onn_run", "snn_run"]

BACKENDS = ("numpy", "compiled")


# --- tracing -------------------------------------------------------------------------------------

class TracedValue:
    """A scalar of a rule being traced: the name of the variable holding it in the generated source.

    ``const`` is its concrete value when it depends on parameters only (else None): Python may
    branch on such a value (``if p.noise_bits:``), never on one that depends on the state.
    """

    __slots__ = ("ops", "code", "is_bool", "const")

    def __init__(self, ops, code, is_bool=False, const=None):
        self.ops, self.code, self.is_bool, self.const = ops, code, is_bool, const

    def __repr__(self):
        return f"TracedValue({self.code})"

    # Python control flow on a traced value: allowed on parameters only (the path lands in the source)
    def __bool__(self):
        if self.const is None:
            raise TypeError(f"the rule branches in Python on a state-dependent value ({self.code}): "
                            "use ops.select so that every back end sees the choice")
        return bool(self.const)

    def __index__(self):
        if self.const is None:
            raise TypeError(f"a state-dependent value ({self.code}) used as a Python int")
        return int(self.const)

    __int__ = __index__

    # operators: each records one line
    def _bin(self, other, op, reflected=False):
        a, b = (other, self) if reflected else (self, other)
        return self.ops._binary(op, a, b)

    def __add__(self, o): return self._bin(o, "+")
    def __radd__(self, o): return self._bin(o, "+", True)
    def __sub__(self, o): return self._bin(o, "-")
    def __rsub__(self, o): return self._bin(o, "-", True)
    def __mul__(self, o): return self._bin(o, "*")
    def __rmul__(self, o): return self._bin(o, "*", True)
    def __rshift__(self, o): return self._bin(o, ">>")
    def __rrshift__(self, o): return self._bin(o, ">>", True)
    def __lshift__(self, o): return self._bin(o, "<<")
    def __rlshift__(self, o): return self._bin(o, "<<", True)
    def __and__(self, o): return self._bin(o, "&")
    def __rand__(self, o): return self._bin(o, "&", True)
    def __or__(self, o): return self._bin(o, "|")
    def __ror__(self, o): return self._bin(o, "|", True)
    def __xor__(self, o): return self._bin(o, "^")
    def __rxor__(self, o): return self._bin(o, "^", True)
    def __lt__(self, o): return self._bin(o, "<")
    def __le__(self, o): return self._bin(o, "<=")
    def __gt__(self, o): return self._bin(o, ">")
    def __ge__(self, o): return self._bin(o, ">=")
    def __eq__(self, o): return self._bin(o, "==")  # noqa: PLE0307 (a traced comparison, like numpy's)
    def __ne__(self, o): return self._bin(o, "!=")
    __hash__ = None

    def __neg__(self):
        return self.ops._unary("-", self)

    def __invert__(self):
        return self.ops._unary("~", self)


_COMPARE = {"<", "<=", ">", ">=", "==", "!="}
_PY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, ">>": lambda a, b: a >> b,
       "<<": lambda a, b: a << b, "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
       "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
       "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


def _is_plain_bool(x):
    return isinstance(x, (bool, np.bool_))


class SourceOps:
    """The ops layer as a recorder of straight-line scalar source (module docstring).

    ``ops.input(name)`` makes a traced input, ``ops.params(p)`` a view of a parameter dataclass whose
    integer fields are traced runtime parameters; the rule's operations append to ``ops.lines``.
    """

    name = "compiled"

    def __init__(self):
        self.lines = []
        self.param_lines = []   # values of parameters only: computed once, before the loops
        self.param_names = []   # in order of first use: the parameter vector's layout
        self.param_values = []
        self._params = {}
        self._n = 0

    # values ------------------------------------------------------------------------------------
    def input(self, name, is_bool=False):
        """A state or input value of the rule, held in the generated variable ``name``."""
        return TracedValue(self, name, is_bool)

    def param(self, name, value):
        """The runtime parameter ``name`` (concrete value ``value`` for Python branches)."""
        if name not in self._params:
            self._params[name] = TracedValue(self, "P_" + name, const=int(value))
            self.param_names.append(name)
            self.param_values.append(int(value))
        return self._params[name]

    def params(self, real, prefix=""):
        """``real`` (a parameter dataclass) with its integer fields traced as runtime parameters."""
        return _TracedParams(self, real, prefix)

    def code(self, x):
        """Source text of ``x`` (a traced value or a Python / numpy constant) as an int64 or bool."""
        if isinstance(x, TracedValue):
            return x.code
        if _is_plain_bool(x):
            return "True" if x else "False"
        if isinstance(x, (int, np.integer)):
            x = int(x)
            if not -(1 << 63) <= x < (1 << 63):
                raise OverflowError(f"constant {x} does not fit in int64")
            return str(x) if x >= 0 else f"({x})"
        raise TypeError(f"cannot trace a {type(x).__name__} value ({x!r})")

    def _int_code(self, x):
        # booleans widen to 0/1 where they meet arithmetic, as numpy bool arrays do
        if (isinstance(x, TracedValue) and x.is_bool) or _is_plain_bool(x):
            return f"np.int64({self.code(x)})"
        return self.code(x)

    def _emit(self, expr, is_bool, const, name=None):
        self._n += 1
        var = f"{name or '_t'}_{self._n}"
        (self.lines if const is None else self.param_lines).append(f"{var} = {expr}")
        return TracedValue(self, var, is_bool, const)

    @staticmethod
    def _const(x):
        if isinstance(x, TracedValue):
            return x.const
        return bool(x) if _is_plain_bool(x) else int(x)

    def _binary(self, op, a, b):
        ca, cb = self._const(a), self._const(b)
        const = _PY[op](ca, cb) if ca is not None and cb is not None else None
        a_bool = (isinstance(a, TracedValue) and a.is_bool) or _is_plain_bool(a)
        b_bool = (isinstance(b, TracedValue) and b.is_bool) or _is_plain_bool(b)
        if op in ("&", "|", "^") and a_bool and b_bool:
            return self._emit(f"({self.code(a)} {op} {self.code(b)})", True, const)
        expr = f"({self._int_code(a)} {op} {self._int_code(b)})"
        return self._emit(expr, op in _COMPARE, const)

    def _unary(self, op, a):
        ca = self._const(a)
        if op == "~" and a.is_bool:
            return self._emit(f"(not {a.code})", True, None if ca is None else not ca)
        const = None if ca is None else (-ca if op == "-" else ~ca)
        return self._emit(f"({op}{self._int_code(a)})", False, const)

    # the Ops protocol --------------------------------------------------------------------------
    def let(self, name, value):
        if not isinstance(value, TracedValue):
            return value
        return self._emit(value.code, value.is_bool, value.const, name)

    def select(self, cond, a, b):
        if not isinstance(cond, TracedValue):
            return a if cond else b
        both_bool = all((isinstance(x, TracedValue) and x.is_bool) or _is_plain_bool(x) for x in (a, b))
        code = self.code if both_bool else self._int_code
        return self._emit(f"({code(a)} if {self.code(cond)} else {code(b)})", both_bool, None)

    def clamp(self, x, lo, hi):
        return self._emit(f"min(max({self._int_code(x)}, {self._int_code(lo)}), {self._int_code(hi)})", False, None)

    def shl(self, x, n, width):
        return (x << n) & ((1 << width) - 1)

    def stage(self, *values):
        return values


class _TracedParams:
    """A parameter dataclass seen by a rule under :class:`SourceOps`: integer fields and integer
    properties (derived bounds such as ``v_lo``) are traced runtime parameters, other fields (strings,
    None, booleans) are the real values; nested parameter dataclasses are wrapped the same way."""

    def __init__(self, ops, real, prefix, overrides=None):
        object.__setattr__(self, "_ops", ops)
        object.__setattr__(self, "_real", real)
        object.__setattr__(self, "_prefix", prefix)
        object.__setattr__(self, "_overrides", overrides or {})

    def __getattr__(self, name):
        if name in self._overrides:  # a per-neuron value (an input of the kernel), not a parameter
            return self._overrides[name]
        # a property (v_lo, in_max, half ...) is a function of the parameters: its value is one too
        value = getattr(self._real, name)
        if isinstance(value, FixedPointParams):
            return _TracedParams(self._ops, value, f"{self._prefix}{name}_")
        if isinstance(value, (int, np.integer)) and not _is_plain_bool(value):
            return self._ops.param(self._prefix + name, value)
        return value


def trace_rule(rule, inputs, params=(), bool_inputs=()):
    """Trace ``rule(ops, *params_views, *inputs)`` -> ``(ops, outputs)``.

    ``inputs`` are the variable names of the rule's value arguments, ``params`` ``(prefix, dataclass)``
    pairs passed first as traced views; ``ops.lines`` is the body, ``outputs`` the returned values.
    """
    ops = SourceOps()
    views = [ops.params(real, prefix) for prefix, real in params]
    args = [ops.input(name, name in bool_inputs) for name in inputs]
    out = rule(ops, *views, *args)
    return ops, out


# --- compiling and caching ------------------------------------------------------------------------

def kernel_cache_dir():
    """Where kernel modules (and numba's cache of them) are kept: ``$NEUROXIDE_KERNEL_CACHE``, else
    ``$XDG_CACHE_HOME/neuroxide/kernels`` (``~/.cache/...``), else a per-user temporary folder."""
    env = os.environ.get("NEUROXIDE_KERNEL_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "neuroxide" / "kernels"


_KERNELS = {}
_LOCK = threading.Lock()
_HEADER = "# generated by neuroxide.models.compiled from the traced rules; do not edit\n" \
          "import numpy as np\nfrom numba import njit\n\n"


def _writable(folder):
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
        return True
    except OSError:
        return False


def compile_kernel(source, name="kernel"):
    """The function ``name`` of the module ``source`` (numba-decorated), compiled once per process
    and cached on disk by the hash of the source (module docstring)."""
    source = _HEADER + source
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    with _LOCK:
        if key in _KERNELS:
            return getattr(_KERNELS[key], name)
        folder = kernel_cache_dir()
        if not _writable(folder):
            folder = Path(tempfile.gettempdir()) / f"neuroxide-kernels-{os.getuid() if hasattr(os, 'getuid') else 0}"
            folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"k_{key}.py"
        if not path.exists() or path.read_text() != source:
            tmp = folder / f".k_{key}.{os.getpid()}.tmp"
            tmp.write_text(source)
            os.replace(tmp, path)  # atomic: a concurrent process never imports half a file
        module_name = f"neuroxide_kernel_{key}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # numba's cache locator looks the module up
        spec.loader.exec_module(module)
        _KERNELS[key] = module
        return getattr(module, name)


def _body(lines, indent):
    return textwrap.indent("\n".join(lines), " " * indent)


def _prologue(ops, vector="P", prefix="P_", indent=4):
    """Lines loading the traced parameters from the int64 vector ``vector``, then the values computed
    from parameters only (hoisted out of the loops)."""
    return _body([f"{prefix}{n} = {vector}[{i}]" for i, n in enumerate(ops.param_names)] + ops.param_lines, indent)


# --- LIF ------------------------------------------------------------------------------------------

_LIF_STATE = ("v", "ref", "adapt", "rng")


class LIFKernel:
    """The LIF rule (``models.lif.lif_step``) compiled for the structure of ``params``.

    :meth:`advance` runs ``steps`` steps over ``n`` neurons in place; the parameter vector comes
    from the trace of ``params`` (so one kernel serves every LIFParams of the same structure).
    """

    def __init__(self, params):
        from .lif import lif_step
        ops, out = trace_rule(lif_step, ("v", "ref", "adapt", "rng", "i_exc", "i_inh"), (("", params),))
        self.params = params
        in_max = ops.param("in_max", params.in_max)  # the input bound, a parameter like the rest
        v_n, ref_n, adapt_n, rng_n, fire = (ops.code(x) for x in out)
        self.source = f"""
@njit(cache=True, nogil=True)
def lif_run(P, v_s, ref_s, adapt_s, rng_s, x_exc, x_inh, v_t, ref_t, adapt_t, rng_t, spike_t):
    # P: parameters; *_s: state (n,) int64, updated in place; x_*: inputs (steps, n); *_t: state after
    # each step (steps, n) (for one step: the state arrays themselves).
    # Returns False, writing nothing, when an input is outside 0..in_max.
{_prologue(ops)}
    steps, n = x_exc.shape
    ok = True
    for t in range(steps):
        for k in range(n):
            ok &= (x_exc[t, k] >= 0) & (x_exc[t, k] <= {in_max.code})
            ok &= (x_inh[t, k] >= 0) & (x_inh[t, k] <= {in_max.code})
    if not ok:
        return False
    for t in range(steps):
        v_o, ref_o, adapt_o, rng_o, spike_o = v_t[t], ref_t[t], adapt_t[t], rng_t[t], spike_t[t]
        xe, xi = x_exc[t], x_inh[t]
        for k in range(n):
            i_exc = np.int64(xe[k])
            i_inh = np.int64(xi[k])
            v = v_s[k]
            ref = ref_s[k]
            adapt = adapt_s[k]
            rng = rng_s[k]
{_body(ops.lines, 12)}
            v_s[k] = {v_n}
            ref_s[k] = {ref_n}
            adapt_s[k] = {adapt_n}
            rng_s[k] = {rng_n}
            v_o[k] = v_s[k]
            ref_o[k] = ref_s[k]
            adapt_o[k] = adapt_s[k]
            rng_o[k] = rng_s[k]
            spike_o[k] = {fire}
    return True


@njit(cache=True, nogil=True)
def lif_step(P, v_s, ref_s, adapt_s, rng_s, xe, xi, spike_o):
    # one step: P parameters; *_s state (n,) int64, updated in place; xe, xi inputs (n,); spike_o (n,).
    # Apart from lif_run so that nothing aliases the state but itself: this loop vectorises.
    # Returns False, writing nothing, when an input is outside 0..in_max.
{_prologue(ops)}
    n = v_s.shape[0]
    ok = True
    for k in range(n):
        ok &= (xe[k] >= 0) & (xe[k] <= {in_max.code}) & (xi[k] >= 0) & (xi[k] <= {in_max.code})
    if not ok:
        return False
    for k in range(n):
        i_exc = np.int64(xe[k])
        i_inh = np.int64(xi[k])
        v = v_s[k]
        ref = ref_s[k]
        adapt = adapt_s[k]
        rng = rng_s[k]
{_body(ops.lines, 8)}
        v_s[k] = {v_n}
        ref_s[k] = {ref_n}
        adapt_s[k] = {adapt_n}
        rng_s[k] = {rng_n}
        spike_o[k] = {fire}
    return True
"""
        self.param_vector = np.array(ops.param_values, dtype=np.int64)
        self._run = compile_kernel(self.source, "lif_run")
        self._step = compile_kernel(self.source, "lif_step")
        self._scalars = {}

    def _inputs(self, x, steps, shape, n):
        """``x`` as a C-contiguous, writable ``(steps, n)`` array of its own integer type (a view where
        possible; one value for every neuron of a single step is cached). The kernel only reads it."""
        x = np.asarray(x)
        if x.dtype == np.uint64:
            x = x.astype(np.int64)  # uint64 does not widen to int64 (a value past 2**63 must fail the check)
        elif x.dtype == bool:
            x = x.view(np.int8)  # 0/1 bytes: integers, as numpy's arithmetic treats them
        if x.size == 1 and steps == 1:  # step(i_inh=0): one cached row, not an allocation per step
            key = (x.dtype.str, int(x.reshape(())), n)
            full = self._scalars.get(key)
            if full is None:
                if len(self._scalars) > 16:
                    self._scalars.clear()
                full = self._scalars[key] = np.full((1, n), x.reshape(()), dtype=x.dtype)
            return full
        if x.shape != (steps, *shape) and not (steps == 1 and x.shape == tuple(shape)):
            x = np.broadcast_to(x, (steps, *shape))
        x = x.reshape(steps, n)
        # one array type per dtype (numba compiles per type): C-contiguous and writable, copied if not
        return x if x.flags.c_contiguous and x.flags.writeable else np.array(x, order="C")

    def advance(self, state, i_exc, i_inh, steps, record, in_place=False):
        """Run ``steps`` steps from ``state`` (``{v, ref, adapt, rng, spike}``, arrays of one shape);
        inputs ``(steps, *shape)`` arrays (broadcastable). Returns ``(state', trace)``: the new state
        arrays and, with ``record``, ``{field: (steps, *shape)}`` (else None); None when an input is out
        of range (nothing written: the caller raises its error). With ``in_place`` (one step, C-contiguous
        int64 state that nobody else sees) the state arrays are overwritten instead of allocated."""
        if not record and steps != 1:
            raise ValueError("without record, advance runs one step")
        shape = state["v"].shape
        n = int(np.prod(shape))
        xs = [self._inputs(x, steps, shape, n) for x in (i_exc, i_inh)]
        fields = (*_LIF_STATE, "spike")
        if in_place and steps == 1:  # the state arrays are the work arrays and the one trace row
            new = {f: state[f] for f in fields}
        else:
            new = {f: np.array(state[f], dtype=np.int64, order="C") for f in _LIF_STATE}  # copies, base None
            new["spike"] = np.empty(shape, dtype=bool)
        work = [new[f].reshape(n) for f in _LIF_STATE]
        if not record:
            if not self._step(self.param_vector, *work, xs[0][0], xs[1][0], new["spike"].reshape(n)):
                return None
            return new, None
        trace = {f: np.empty((steps, n), dtype=np.int64) for f in _LIF_STATE}
        trace["spike"] = np.empty((steps, n), dtype=bool)
        if not self._run(self.param_vector, *work, *xs, *(trace[f] for f in fields)):
            return None
        # the numpy model's trace dtypes: the layout's (bool for a 1-bit field); its state: the last row
        trace = {f.name: trace[f.name] if trace[f.name].dtype == f.dtype else trace[f.name].astype(f.dtype)
                 for f in self.params.state_layout}
        new = {f: trace[f][-1].reshape(shape).copy() for f in fields}
        out = {f: a.reshape((steps, *shape)) for f, a in trace.items()}
        return new, out


_LIF_KERNELS = {}


def lif_kernel(params):
    """The :class:`LIFKernel` of ``params`` (one per LIFParams value per process)."""
    kernel = _LIF_KERNELS.get(params)
    if kernel is None:
        kernel = _LIF_KERNELS[params] = LIFKernel(params)
    return kernel


# --- ONN ------------------------------------------------------------------------------------------

def _onn_source(p):
    from .onn import T_BITS, onn_update, output_of, schedule
    ops = SourceOps()
    pv = ops.params(p)
    # three traced pieces share one parameter vector: outputs, the schedule, the oscillator update
    out_ops_start = len(ops.lines)
    out = output_of(ops, pv, ops.input("phase"))
    out_lines = ops.lines[out_ops_start:]
    sched_start = len(ops.lines)
    inj, amp = schedule(ops, pv, ops.input("t"))
    sched_lines = ops.lines[sched_start:]
    upd_start = len(ops.lines)
    phase_n, rng_n = onn_update(ops, pv, ops.input("phase"), ops.input("h"), ops.input("rng"),
                                ops.input("inj"), ops.input("amp"))
    upd_lines = ops.lines[upd_start:]
    t_max = (1 << T_BITS) - 1
    source = f"""
@njit(cache=True, nogil=True)
def onn_run(P, indptr, indices, data, order, bounds, phase_s, rng_s, t0, steps, phase_t, rng_t):
    # P: parameters; (indptr, indices, data): the couplings J as CSR; order, bounds: the update
    # groups, group k = order[bounds[k]:bounds[k + 1]] (synchronous mode: one group, every
    # oscillator; colour mode: one group a colour); phase_s, rng_s: (n, R) state, updated in place;
    # t0: the step index; phase_t/rng_t: (steps, n, R) trace or (0, n, R). Returns the step index
    # after the run. Every h of a group from the outputs at the group's start (synchronous: Jacobi).
{_prologue(ops)}
    n, restarts = phase_s.shape
    record = phase_t.shape[0] == steps
    outs = np.empty((n, restarts), dtype=np.int64)
    h_row = np.empty(restarts, dtype=np.int64)
    groups = bounds.shape[0] - 1
    for i in range(n):
        for r in range(restarts):
            phase = phase_s[i, r]
{_body(out_lines, 12)}
            outs[i, r] = {ops.code(out)}
    t = t0
    for step in range(steps):
{_body(sched_lines, 8)}
        inj = {ops.code(inj)}
        amp = {ops.code(amp)}
        for g in range(groups):
            for k in range(bounds[g], bounds[g + 1]):
                i = order[k]
                h_row[:] = 0
                for e in range(indptr[i], indptr[i + 1]):
                    j = indices[e]
                    w = data[e]
                    for r in range(restarts):
                        h_row[r] += w * outs[j, r]
                for r in range(restarts):
                    phase = phase_s[i, r]
                    rng = rng_s[i, r]
                    h = h_row[r]
{_body(upd_lines, 20)}
                    phase_s[i, r] = {ops.code(phase_n)}
                    rng_s[i, r] = {ops.code(rng_n)}
                    if record:
                        phase_t[step, i, r] = phase_s[i, r]
                        rng_t[step, i, r] = rng_s[i, r]
            for k in range(bounds[g], bounds[g + 1]):  # the group's new outputs, seen by the next
                i = order[k]
                for r in range(restarts):
                    phase = phase_s[i, r]
{_body(out_lines, 20)}
                    outs[i, r] = {ops.code(out)}
        t = min(t + 1, {t_max})
    return t
"""
    return source, np.array(ops.param_values, dtype=np.int64)


def onn_run(model, steps, trace=False):
    """``model.run(steps, trace)`` of an :class:`~neuroxide.models.onn.ONNModel`, compiled: the same
    phases, PRNG states and step index (and trace) as the numpy path, bit for bit."""
    import scipy.sparse as sp

    from .onn import ONNTrace
    source, pvec = _onn_source(model.params)
    kernel = compile_kernel(source, "onn_run")
    csr = getattr(model, "_csr", None)
    if csr is None:
        J = model.J.tocsr() if model.sparse else sp.csr_matrix(model.J)
        csr = model._csr = (J.indptr.astype(np.int64), J.indices.astype(np.int64), J.data.astype(np.int64))
    if getattr(model, "colours", None) is None:
        order, bounds = np.arange(model.n, dtype=np.int64), np.array([0, model.n], dtype=np.int64)
    else:
        from .gset import colour_classes
        order, bounds = colour_classes(model.colours)
    phase = np.array(model.phase, dtype=np.int64, order="C")
    rng = np.array(model.rng, dtype=np.int64, order="C")
    rows = steps if trace else 0
    phase_t = np.empty((rows, model.n, model.restarts), dtype=np.int64)
    rng_t = np.empty((rows, model.n, model.restarts), dtype=np.int64)
    model.t = int(kernel(pvec, *csr, order, bounds, phase, rng, model.t, steps, phase_t, rng_t))
    model.phase, model.rng = phase, rng
    return ONNTrace(phase=phase_t, rng=rng_t) if trace else None


# --- SNN core network -----------------------------------------------------------------------------

def _snn_layer_rule(ops, layer, params, acc_exc, acc_inh, others, v, ref, adapt, rng, syn):
    """One neuron of a core layer, the contract's order (models/snn.py): column ADC and lateral
    inhibition, the synaptic current where set, then the LIF rule (``params``: the layer's LIFParams,
    with the neuron's own threshold where the layer has ``v_th_neuron``). Only composes the rules."""
    from .lif import lif_step
    from .synapse import column_currents, synaptic_current_step
    i_exc, i_inh = column_currents(ops, layer, acc_exc, acc_inh, others)
    syn_n = None
    if layer.syn_decay is not None:
        syn_n, i_exc, i_inh = synaptic_current_step(ops, layer, syn, i_exc, i_inh)
    return (*lif_step(ops, params, v, ref, adapt, rng, i_exc, i_inh), syn_n)


def _snn_source(network):
    """Source of a kernel running ``network`` (its structure: layers, recurrent/lateral/syn flags),
    and the per-layer parameter vectors."""
    args, body, pvecs = [], [], []
    for k, layer in enumerate(network.layers):
        ops = SourceOps()
        per_neuron = getattr(layer, "v_th_neuron", None) is not None  # thresholds per neuron (a ROM in the core)
        lv = _TracedParams(ops, layer, "")
        pv = _TracedParams(ops, layer.params, "params_", {"v_th": ops.input("v_th")} if per_neuron else None)
        names = ("acc_exc", "acc_inh", "others", "v", "ref", "adapt", "rng", "syn")
        v_n, ref_n, adapt_n, rng_n, fire, syn_n = _snn_layer_rule(ops, lv, pv, *(ops.input(nm) for nm in names))
        pvecs.append(np.array(ops.param_values, dtype=np.int64))
        has_syn = layer.syn_decay is not None
        fields = list(_LIF_STATE) + (["syn"] if has_syn else [])
        a = [f"P{k}", f"we{k}", f"wi{k}"] + ([f"wre{k}", f"wri{k}"] if layer.recurrent else []) + \
            ([f"vth{k}"] if per_neuron else []) + \
            [f"{f}{k}" for f in fields] + [f"spike{k}", f"spk_t{k}"] + [f"{f}_t{k}" for f in fields]
        args += a
        src_get = f"spike{k - 1}[b, i]" if k else "s_in[t, b, i]"
        ld = [f"{f} = {f}{k}[b, j]" for f in fields] + ([] if has_syn else ["syn = 0"]) + \
            ([f"v_th = vth{k}[j]"] if per_neuron else [])
        st = [f"v{k}[b, j] = {ops.code(v_n)}", f"ref{k}[b, j] = {ops.code(ref_n)}",
              f"adapt{k}[b, j] = {ops.code(adapt_n)}", f"rng{k}[b, j] = {ops.code(rng_n)}",
              f"spike{k}[b, j] = {ops.code(fire)}"] + ([f"syn{k}[b, j] = {ops.code(syn_n)}"] if has_syn else [])
        rec = [f"{f}_t{k}[t, b, j] = {f}{k}[b, j]" for f in fields]
        recurrent = f"""
            # recurrent block: the layer's own spikes of the previous step are extra input rows
            for i in range(n_out{k}):
                if spike{k}[b, i]:
                    sops[b] += n_out{k}
                    for j in range(n_out{k}):
                        acc_e{k}[j] += wre{k}[i, j]
                        acc_i{k}[j] += wri{k}[i, j]""" if layer.recurrent else ""
        body.append(f"""
            # layer {k}
{_prologue(ops, f"P{k}", indent=12)}
            acc_e{k}[:] = 0
            acc_i{k}[:] = 0
            for i in range(n_in{k}):
                if {src_get}:
                    sops[b] += n_out{k}
                    for j in range(n_out{k}):
                        acc_e{k}[j] += we{k}[i, j]
                        acc_i{k}[j] += wi{k}[i, j]{recurrent}
            fired = 0
            for j in range(n_out{k}):
                fired += np.int64(spike{k}[b, j])
            for j in range(n_out{k}):
                acc_exc = acc_e{k}[j]
                acc_inh = acc_i{k}[j]
                others = fired - np.int64(spike{k}[b, j])
{_body(ld, 16)}
{_body(ops.lines, 16)}
{_body(st, 16)}
                spk_t{k}[t, b, j] = spike{k}[b, j]
                if record:
{_body(rec, 20)}""")
    sizes = "\n".join(f"    n_in{k} = we{k}.shape[0]\n    n_out{k} = we{k}.shape[1]\n"
                      f"    acc_e{k} = np.zeros(n_out{k}, dtype=np.int64)\n"
                      f"    acc_i{k} = np.zeros(n_out{k}, dtype=np.int64)"
                      for k in range(len(network.layers)))
    source = f"""
@njit(cache=True, nogil=True)
def snn_run(s_in, sops, record, {", ".join(args)}):
    # s_in: (steps, batch, n_in) bool; per layer k: P (parameters), weights (levels), state (batch, n_out)
    # updated in place, spk_t (steps, batch, n_out) spikes, *_t state traces (steps or 0, batch, n_out).
    # Samples are independent (models/snn.py), so the batch is the outer loop.
    steps, batch = s_in.shape[0], s_in.shape[1]
{sizes}
    for b in range(batch):
        for t in range(steps):{"".join(body)}
"""
    return source, pvecs


def snn_run(model, in_spikes, record_state=False):
    """``model.run(in_spikes, record_state)`` of an :class:`~neuroxide.models.snn.SNNModel`,
    compiled: the same spikes, full state, SOPs and final model state as the numpy path, bit for bit.
    ``in_spikes`` is checked by the model's own checker."""
    from .lif import LIFState
    from .snn import SNNTrace
    s_in = np.ascontiguousarray(model._check_spikes(in_spikes, steps_axis=True))
    steps, batch = s_in.shape[0], model.batch
    network = model.network
    source, pvecs = _snn_source(network)
    kernel = compile_kernel(source, "snn_run")
    args, spikes, states, work = [], [], [], []
    for k, layer in enumerate(network.layers):
        fields = list(_LIF_STATE) + (["syn"] if layer.syn_decay is not None else [])
        now = model.layer_state(k)
        w = {f: np.array(now[f], dtype=np.int64, order="C") for f in fields}
        w["spike"] = np.array(now["spike"], dtype=bool, order="C")
        spk = np.zeros((steps, batch, layer.n_out), dtype=bool)
        rows = steps if record_state else 0
        tr = {f: np.zeros((rows, batch, layer.n_out), dtype=np.int64) for f in fields}
        args += [pvecs[k], layer.w_exc, layer.w_inh] + ([layer.w_rec_exc, layer.w_rec_inh] if layer.recurrent else [])
        if getattr(layer, "v_th_neuron", None) is not None:
            args.append(np.ascontiguousarray(layer.v_th_neuron, dtype=np.int64))
        args += [w[f] for f in fields] + [w["spike"], spk] + [tr[f] for f in fields]
        spikes.append(spk)
        states.append(tr)
        work.append(w)
    sops = np.zeros(batch, dtype=np.int64)
    kernel(s_in, sops, record_state, *args)
    for k, w in enumerate(work):
        model.state[k] = LIFState(w["v"], w["ref"], w["adapt"], w["rng"], w["spike"])
        if "syn" in w:
            model.syn[k] = w["syn"]
    model.sops = model.sops + sops
    return SNNTrace(spikes=spikes, state=states if record_state else None, sops=sops, in_spikes=s_in)
