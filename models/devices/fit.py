"""Device presets fitted to measurements: CSV files in, a preset (file) with uncertainties out.

``neuroxide device fit DATA.csv ... --family F`` calls :func:`fit_device`. Each family reads its
own CSV formats (:data:`CSV_FORMATS`, docs/devices.md; a column's name carries its SI unit) and
fits the values of its model (the physics of :mod:`.threshold_switch`, :mod:`.fefet`, :mod:`.mtj`,
:mod:`.stochastic`) by least squares (scipy); each 1-sigma uncertainty comes from the Jacobian
covariance ``(J^T J)^-1 s^2`` scaled by the residual variance ``s^2 = RSS / (n - p)``. Values the
data do not determine come from a base preset (``base``) and stay listed in ``assumed``.

* ``ts`` (and ``oscillator``): quasi-static I-V sweeps (``iv`` format), each cycle a sweep of the
  device voltage up and back down. Per cycle: the device turns on between the last off and the
  first on point of the up sweep (``V_th``: their midpoint, the step's quantisation as its
  uncertainty) and off between the last on and the first off point of the down sweep (``V_hold``);
  ``R_off`` and ``R_on`` are the static resistances ``V / I`` of the off branch at ``V_th`` and of
  the on branch at ``V_hold``, from least-squares fits ``I = V (g0 + g2 V^2)`` of each branch's
  points (an ohmic branch: ``g2 = 0``, ``R`` its slope; a branch bent by self-heating: the
  resistance where it switches, which is what sets the oscillation's onset and latch). Over
  cycles and devices: each value is the mean of the device means; its uncertainty the standard
  error of that mean; the cycle-to-cycle spread is the pooled within-device sigma and the
  device-to-device spread the sigma of the device means less the cycle-to-cycle part (both with
  the measurement noise of one cycle taken out), relative to the value.
  Optionally oscillation frequency vs drive at a known load (``fv`` format) -> ``C``: the analytic
  rate is exactly ``h(Vin) / C`` at fixed device values, so ``ln C`` is the least-squares mean of
  ``ln h - ln f`` (each device's ``h`` from that device's own I-V means); its uncertainty adds the
  I-V values' uncertainties propagated through ``h``. ``oscillator`` is the same fit with the
  frequencies required: the zoo's ``oscillator`` family is the TS relaxation oscillator driven
  across its latch limit (``nbo2-osc``), whose device values are these.
* ``fefet`` / ``afefet``: pulses to fire vs excitatory amplitude and width (``pulses``), with
  inhibitory pulses where a row gives ``v_inh_volt`` -> Merz ``tau0_s``, ``v_act_volt`` (and the
  relaxation ``tau_relax_s`` of the antiferroelectric, which needs ``pulse_period_s``). The model
  count is ``x + 1/2`` with ``x`` the real-valued solution of :func:`.fefet.pulses_to_fire` (the
  mean of the ceiling over the trial-to-trial spread), fitted in log space.
* ``mtj``: pulses to fire vs current amplitude, width and period (``mtj_pulses``) -> wall mobility
  (per track length, which the base preset gives), depinning current and relaxation time. A
  rectangular pulse train is exact in the model of :mod:`.mtj`: at the end of pulse ``n`` the wall
  is at ``x_n = B (1 - A^n) / (1 - A)``, ``A = exp(-T / tau)``, ``B = x_inf (1 - exp(-t_p / tau))``.
* ``stochastic``: firing counts vs drive (``probability``) -> the probit
  ``P = Phi((Vin - Vin_50) / (sigma_rel Vin_50))`` of :func:`.stochastic.firing_probability`,
  weighted by the binomial variance; ``Vin_50`` gives ``v_th_volt`` through the base circuit's
  divider, and ``sigma_rel`` is the threshold's relative spread.

Malformed data (a missing column or unit, a cell that is not a number, NaN, too few points, a
sweep with no hysteresis) raise :class:`~neuroxide.errors.ParameterError` naming the file, the row
(the line of the file, counting the header and comment lines) and the column, before anything is
written. ``python -m neuroxide.models.devices.fit --make-examples DIR`` regenerates the shipped
example measurements (``models/data/measurements``, whose README documents each generator).
"""

import csv
import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neuroxide.errors import ParameterError

from . import fefet as _fefet
from .threshold_switch import ThresholdSwitchPreset, analytic_rate_hz

__all__ = ["FIT_FAMILIES", "BASE_PRESETS", "CSV_FORMATS", "FAMILY_FORMATS", "Measurement", "read_measurement",
           "FitResult", "fit_device", "fit_iv", "fit_header", "plot_fit"]

FIT_FAMILIES = ("ts", "fefet", "afefet", "mtj", "stochastic", "oscillator")
# the built-in preset that gives a family's values the measurements do not determine
BASE_PRESETS = {"ts": "nbox", "oscillator": "nbo2-osc", "fefet": "fefet-sihfo2", "afefet": "afefet-hzo",
                "mtj": "mtj-sot", "stochastic": "nbox-stochastic"}


@dataclass(frozen=True)
class CSVFormat:
    """Columns of one measurement format: ``required`` and ``optional`` numeric columns (name with
    its SI unit suffix; ``integers`` among them hold whole numbers), ``labels`` text columns."""

    name: str
    meaning: str
    required: tuple
    optional: tuple = ()
    integers: tuple = ()
    labels: tuple = ()
    min_rows: int = 3


CSV_FORMATS = {f.name: f for f in (
    CSVFormat("iv", "quasi-static I-V sweeps: device voltage swept up and back down, one or many cycles "
              "(cycle) of one or many devices (device); rows in sweep order",
              ("v_volt", "i_amp"), ("cycle",), ("cycle",), ("device",), min_rows=8),
    CSVFormat("fv", "oscillation frequency vs drive of the 1R1C neuron at a known load R_L (device: the "
              "I-V device it was measured on)", ("vin_volt", "f_hz", "r_load_ohm"), (), (), ("device",), min_rows=2),
    CSVFormat("pulses", "pulses to fire from rest vs excitatory amplitude and width, an inhibitory pulse of "
              "v_inh_volt (default 0) between excitatory ones, one period pulse_period_s per pair",
              ("v_exc_volt", "pulse_width_s", "pulses_to_fire"), ("v_inh_volt", "pulse_period_s"),
              ("pulses_to_fire",), ("device",), min_rows=4),
    CSVFormat("mtj_pulses", "pulses to fire from rest vs current amplitude, pulse width and period",
              ("i_amp", "pulse_width_s", "pulse_period_s", "pulses_to_fire"), (), ("pulses_to_fire",), ("device",),
              min_rows=4),
    CSVFormat("probability", "single trials: fired of trials at each drive (the drive held until the node settles)",
              ("vin_volt", "trials", "fired"), (), ("trials", "fired"), ("device",), min_rows=5),
)}
FAMILY_FORMATS = {"ts": ("iv", "fv"), "oscillator": ("iv", "fv"), "fefet": ("pulses",), "afefet": ("pulses",),
                  "mtj": ("mtj_pulses",), "stochastic": ("probability",)}
_UNIT_SUFFIXES = ("_volt", "_amp", "_hz", "_ohm", "_s", "_farad")


def _where(label, row, column):
    return f"{label}: row {row}, column {column}"


@dataclass
class Measurement:
    """One CSV file read: its format, numeric ``columns`` (float arrays; integer columns as floats
    holding whole numbers), ``labels`` (text arrays) and the file ``rows`` (line numbers) of each."""

    path: str
    format: CSVFormat
    columns: dict
    labels: dict
    rows: np.ndarray

    def __len__(self):
        return len(self.rows)

    def column(self, name, default=None):
        if name in self.columns:
            return self.columns[name]
        return np.full(len(self), default, dtype=float)


def _data_lines(path):
    """``(line number, text)`` of the non-blank lines that are not ``#`` comments."""
    label = str(path)
    p = Path(path)
    if not p.is_file():
        raise ParameterError("paths", label, "an existing CSV file", why="no such file" if not p.exists() else "not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{label}: row 1, column -", label, "a readable UTF-8 CSV file", why=str(exc)) from None
    return [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip() and not ln.lstrip().startswith("#")]


def _pick_format(label, row, header, formats):
    header_set = set(header)
    for name in formats:
        f = CSV_FORMATS[name]
        if set(f.required) <= header_set:
            return f
    # name the first required column of the closest format that is missing (or lacks its unit)
    best = max(formats, key=lambda n: len(set(CSV_FORMATS[n].required) & header_set))
    f = CSV_FORMATS[best]
    allowed = " | ".join(",".join(CSV_FORMATS[n].required) for n in formats)
    for col in f.required:
        if col not in header_set:
            bare = col.rsplit("_", 1)[0]
            if bare in header_set:
                raise ParameterError(_where(label, row, bare), bare, f"the column {col} (name_unit, SI)",
                                     why="the column's unit is missing")
            raise ParameterError(_where(label, row, col), ",".join(header), f"columns including {allowed}",
                                 why=f"column {col} is missing")
    raise AssertionError("unreachable")


def read_measurement(path, formats):
    """Read a measurement CSV in one of ``formats`` (names of :data:`CSV_FORMATS`, picked by the
    header) -> :class:`Measurement`; ParameterError naming file, row and column on anything wrong."""
    label = str(path)
    lines = _data_lines(path)
    if not lines:
        raise ParameterError(_where(label, 1, "-"), "", "a header line and data rows", why="the file is empty")
    head_row, head_text = lines[0]
    header = [h.strip() for h in next(csv.reader([head_text]))]
    f = _pick_format(label, head_row, header, formats)
    known = f.required + f.optional + f.labels
    seen = set()
    for h in header:
        if h in seen:
            raise ParameterError(_where(label, head_row, h), h, "each column once", why="duplicate column")
        seen.add(h)
        if h not in known:
            bare = [k for k in known if k.rsplit("_", 1)[0] == h and any(k.endswith(s) for s in _UNIT_SUFFIXES)]
            why = f"the column's unit is missing (expected {bare[0]})" if bare else "unknown column"
            raise ParameterError(_where(label, head_row, h or "(empty)"), h, ", ".join(known), why=why)
    cells = {h: [] for h in header}
    rows = []
    for row, text in lines[1:]:
        values = next(csv.reader([text]))
        if len(values) != len(header):
            col = header[min(len(values), len(header) - 1)]
            raise ParameterError(_where(label, row, col), text, f"{len(header)} cells ({','.join(header)})",
                                 why=f"{len(values)} cells")
        for h, v in zip(header, values):
            cells[h].append(v.strip())
        rows.append(row)
    if len(rows) < f.min_rows:
        raise ParameterError(_where(label, rows[-1] if rows else head_row, f.required[0]), len(rows),
                             f">= {f.min_rows} data rows", why="too few points")
    columns, labels = {}, {}
    for h in header:
        if h in f.labels:
            for r, v in zip(rows, cells[h]):
                if v == "":
                    raise ParameterError(_where(label, r, h), v, "a non-empty label")
            labels[h] = np.array(cells[h], dtype=object)
            continue
        out = np.empty(len(rows))
        for i, (r, v) in enumerate(zip(rows, cells[h])):
            try:
                x = float(v)
            except ValueError:
                raise ParameterError(_where(label, r, h), v, "a number" + (" (a whole number)" if h in f.integers else ""),
                                     why="not a number") from None
            if not math.isfinite(x):
                raise ParameterError(_where(label, r, h), v, "a finite number", why="NaN or infinite")
            if h in f.integers and (x != int(x) or x < 0):
                raise ParameterError(_where(label, r, h), v, "a whole number >= 0")
            out[i] = x
        columns[h] = out
    m = Measurement(label, f, columns, labels, np.asarray(rows))
    _check_ranges(m)
    return m


def _positive(m, name, strict=True):
    if name not in m.columns:
        return
    x = m.columns[name]
    bad = np.flatnonzero(~(x > 0) if strict else ~(x >= 0))
    if bad.size:
        i = bad[0]
        raise ParameterError(_where(m.path, m.rows[i], name), x[i], "> 0" if strict else ">= 0")


def _check_ranges(m):
    fmt = m.format.name
    if fmt == "fv":
        for c in ("vin_volt", "f_hz", "r_load_ohm"):
            _positive(m, c)
    elif fmt == "pulses":
        for c in ("v_exc_volt", "pulse_width_s", "pulse_period_s"):
            _positive(m, c)
        _positive(m, "v_inh_volt", strict=False)
        if np.any(m.columns["pulses_to_fire"] < 1):
            i = np.flatnonzero(m.columns["pulses_to_fire"] < 1)[0]
            raise ParameterError(_where(m.path, m.rows[i], "pulses_to_fire"), m.columns["pulses_to_fire"][i], ">= 1")
        if "pulse_period_s" in m.columns:
            bad = np.flatnonzero(2 * m.columns["pulse_width_s"] > m.columns["pulse_period_s"])
            if bad.size:
                raise ParameterError(_where(m.path, m.rows[bad[0]], "pulse_width_s"), m.columns["pulse_width_s"][bad[0]],
                                     "<= pulse_period_s / 2 (an excitatory and an inhibitory pulse per period)")
    elif fmt == "mtj_pulses":
        for c in ("i_amp", "pulse_width_s", "pulse_period_s"):
            _positive(m, c)
        bad = np.flatnonzero(m.columns["pulse_width_s"] > m.columns["pulse_period_s"])
        if bad.size:
            raise ParameterError(_where(m.path, m.rows[bad[0]], "pulse_width_s"), m.columns["pulse_width_s"][bad[0]],
                                 "<= pulse_period_s")
        if np.any(m.columns["pulses_to_fire"] < 1):
            i = np.flatnonzero(m.columns["pulses_to_fire"] < 1)[0]
            raise ParameterError(_where(m.path, m.rows[i], "pulses_to_fire"), m.columns["pulses_to_fire"][i], ">= 1")
    elif fmt == "probability":
        _positive(m, "vin_volt")
        _positive(m, "trials")
        bad = np.flatnonzero(m.columns["fired"] > m.columns["trials"])
        if bad.size:
            raise ParameterError(_where(m.path, m.rows[bad[0]], "fired"), m.columns["fired"][bad[0]], "0..trials")


# ------------------------------------------------------------------------------------------------
# least squares with Jacobian uncertainties

def _least_squares(residual, x0, names, n_points, bounds=(-np.inf, np.inf)):
    """``scipy.optimize.least_squares`` -> ``(x, sigma, rms)``; sigma from ``(J^T J)^-1 s^2``."""
    from scipy.optimize import least_squares
    sol = least_squares(residual, np.asarray(x0, dtype=float), bounds=bounds, x_scale="jac", method="trf",
                        xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=2000)
    r = sol.fun
    dof = max(1, n_points - len(x0))
    s2 = float(r @ r) / dof
    jtj = sol.jac.T @ sol.jac
    try:
        cov = np.linalg.inv(jtj) * s2
    except np.linalg.LinAlgError:
        cov = np.full((len(x0), len(x0)), np.inf)
    sigma = np.sqrt(np.clip(np.diag(cov), 0, np.inf))
    if not np.all(np.isfinite(sigma)):
        raise ParameterError("paths", "...", f"measurements that determine {', '.join(names)}",
                             why="the fit is singular (too few distinct conditions)")
    return sol.x, sigma, math.sqrt(float(r @ r) / len(r))


# ------------------------------------------------------------------------------------------------
# threshold switch: I-V sweeps

IV_QUANTITIES = ("v_th_volt", "v_hold_volt", "r_off_ohm", "r_on_ohm")


def _cycle_values(m, idx):
    """One sweep cycle (row indices ``idx``, in order) -> ``{quantity: (value, variance)}``."""
    v, i = m.columns["v_volt"][idx], m.columns["i_amp"][idx]
    rows = m.rows[idx]
    first = rows[0]
    if len(idx) < 8:
        raise ParameterError(_where(m.path, first, "v_volt"), len(idx), ">= 8 points per cycle", why="too few points")
    top = int(np.argmax(v))
    up_v, up_i, dn_v, dn_i = v[:top + 1], i[:top + 1], v[top:], i[top:]
    if len(up_v) < 4 or len(dn_v) < 4 or np.any(np.diff(up_v) < 0) or np.any(np.diff(dn_v) > 0) or v.min() < 0:
        raise ParameterError(_where(m.path, first, "v_volt"), "...", "a sweep from >= 0 V up to its maximum and back "
                             "down, >= 4 points each way, voltages >= 0", why="not one up-and-down sweep")
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(v > 0, i / v, np.nan)
    g_up, g_dn = g[:top + 1], g[top:]
    low = up_v <= up_v[-1] / 3
    g_off = np.nanmedian(g_up[low & (up_v > 0)]) if np.any(low & (up_v > 0)) else np.nan
    g_on = g[top]
    if not (np.isfinite(g_off) and np.isfinite(g_on) and g_off > 0 and g_on > 3 * g_off):
        raise ParameterError(_where(m.path, first, "i_amp"), "...", "a sweep that switches on (current jumps up by "
                             "more than 3x) and back off at a lower voltage", why="no hysteresis: the device never switches")
    g_mid = math.sqrt(g_off * g_on)
    on_up = np.flatnonzero(g_up > g_mid)
    k = int(on_up[0])
    on_dn = np.flatnonzero(g_dn > g_mid)
    j = int(on_dn[-1])
    if k == 0 or j == len(dn_v) - 1 or np.any(g_up[k:] <= g_mid) or np.any(g_dn[:j + 1] <= g_mid):
        raise ParameterError(_where(m.path, rows[min(top + j, len(rows) - 1)], "i_amp"), "...",
                             "a sweep that is off at its start and end, on between the jumps",
                             why="no hysteresis loop: the device does not turn back off")
    v_th, h_th = 0.5 * (up_v[k - 1] + up_v[k]), 0.5 * (up_v[k] - up_v[k - 1])
    v_hold, h_hold = 0.5 * (dn_v[j] + dn_v[j + 1]), 0.5 * (dn_v[j] - dn_v[j + 1])
    if not v_hold < v_th:
        raise ParameterError(_where(m.path, rows[top + j], "v_volt"), float(v_hold), f"< V_th = {v_th:.4g} V",
                             why="no hysteresis: the device turns off at or above its turn-on voltage")
    off_v = np.concatenate([up_v[:k], dn_v[j + 1:]])
    off_i = np.concatenate([up_i[:k], dn_i[j + 1:]])
    on_v = np.concatenate([up_v[k:], dn_v[1:j + 1]])
    on_i = np.concatenate([up_i[k:], dn_i[1:j + 1]])
    out = {"v_th_volt": (v_th, h_th ** 2 / 3.0), "v_hold_volt": (v_hold, h_hold ** 2 / 3.0)}
    for name, vv, ii, v_at in (("r_off_ohm", off_v, off_i, v_th), ("r_on_ohm", on_v, on_i, v_hold)):
        if len(vv) < 4:
            raise ParameterError(_where(m.path, first, "v_volt"), len(vv), ">= 4 points on each branch",
                                 why=f"too few points on the {name[2:-4]} branch")
        out[name] = _branch_resistance(vv, ii, v_at)
    return out


def _branch_resistance(v, i, v_at):
    """``(R, var R)``: the branch's static resistance ``V / I`` at ``v_at`` (its switching voltage),
    from the linear least-squares fit ``I = V (g0 + g2 V^2)`` of the branch's points, with the
    covariance ``(X^T X)^-1 s^2``. Ohmic: ``g2 = 0`` and ``R`` the slope; a branch that bends (self-
    heating) gets the resistance at the switching point, which fixes the oscillation's onset and
    latch limits of the two-state model to the device's own (``Vin = V_th + R_L I(V_th)``)."""
    x = np.column_stack([v, v ** 3])
    xtx = x.T @ x
    coef, *_ = np.linalg.lstsq(x, i, rcond=None)
    res = i - x @ coef
    s2 = float(res @ res) / max(1, len(v) - 2)
    try:
        cov = np.linalg.inv(xtx) * s2
    except np.linalg.LinAlgError:
        cov = np.full((2, 2), np.inf)
    grad = np.array([1.0, v_at ** 2])
    g = float(coef @ grad)
    if not g > 0:
        return math.inf, math.inf
    return 1.0 / g, float(grad @ cov @ grad) / g ** 4


@dataclass
class IVFit:
    """Per-cycle values, the hierarchical means and spreads of an I-V fit (module docstring)."""

    devices: list
    per_cycle: dict            # quantity -> list (per device) of arrays (per cycle)
    value: dict
    sigma: dict
    device_mean: dict          # quantity -> {device: (mean, sigma of the mean)}
    spread: dict               # quantity -> {"d2d": rel, "c2c": rel}
    spread_sigma: dict
    residual_rms_amp: float
    n_points: int


def fit_iv(m):
    """Fit the I-V sweeps of :class:`Measurement` ``m`` (format ``iv``) -> :class:`IVFit`."""
    dev = m.labels.get("device", np.full(len(m), "device", dtype=object))
    cyc = m.column("cycle", 0.0)
    devices = list(dict.fromkeys(dev))
    per_cycle = {q: [] for q in IV_QUANTITIES}
    meas_var = {q: [] for q in IV_QUANTITIES}
    for d in devices:
        idx_d = np.flatnonzero(dev == d)
        vals = {q: [] for q in IV_QUANTITIES}
        mv = {q: [] for q in IV_QUANTITIES}
        for c in dict.fromkeys(cyc[idx_d]):
            idx = idx_d[cyc[idx_d] == c]
            if np.any(np.diff(idx) != 1):
                raise ParameterError(_where(m.path, m.rows[idx[np.flatnonzero(np.diff(idx) != 1)[0] + 1]], "cycle"), c,
                                     "the rows of one cycle together, in sweep order", why="cycle interleaved with another")
            for q, (x, var) in _cycle_values(m, idx).items():
                vals[q].append(x)
                mv[q].append(var)
        for q in IV_QUANTITIES:
            per_cycle[q].append(np.asarray(vals[q]))
            meas_var[q].append(np.asarray(mv[q]))
    value, sigma, device_mean, spread, spread_sigma = {}, {}, {}, {}, {}
    n_dev = len(devices)
    for q in IV_QUANTITIES:
        xs, ms = per_cycle[q], meas_var[q]
        means = np.array([x.mean() for x in xs])
        n_c = np.array([len(x) for x in xs])
        # within-device (cycle-to-cycle) variance, pooled, with the per-cycle measurement noise out
        dof_c = int(np.sum(n_c - 1))
        raw_c2c = float(sum(((x - x.mean()) ** 2).sum() for x in xs) / dof_c) if dof_c > 0 else 0.0
        noise = float(np.mean(np.concatenate(ms)))
        c2c_var = max(0.0, raw_c2c - noise) if dof_c > 0 else 0.0
        grand = float(means.mean())
        if n_dev >= 2:
            between = float(means.var(ddof=1))
            d2d_var = max(0.0, between - (raw_c2c if dof_c > 0 else noise) * float(np.mean(1.0 / n_c)))
            sig = math.sqrt(between / n_dev) * _t_factor(n_dev - 1)
        else:
            between, d2d_var = 0.0, 0.0
            sig = math.sqrt(raw_c2c / n_c[0]) * _t_factor(dof_c) if dof_c > 0 else math.sqrt(noise)
        # the measurement's own noise bounds the sigma from below: averaged down over the cycles
        # where cycles vary more than it, systematic (one quantisation step for all) where not
        n_total = int(n_c.sum())
        sig = max(sig, math.sqrt(noise / n_total) if dof_c > 0 and raw_c2c > noise else math.sqrt(noise))
        value[q], sigma[q] = grand, sig
        per_dev_var = [(float(x.var(ddof=1)) * _t_factor(len(x) - 1) ** 2 if len(x) > 1 else float(mv.mean())) / len(x)
                       for x, mv in zip(xs, ms)]
        device_mean[q] = {d: (float(mu), math.sqrt(v)) for d, mu, v in zip(devices, means, per_dev_var)}
        spread[q] = {"d2d": math.sqrt(d2d_var) / abs(grand), "c2c": math.sqrt(c2c_var) / abs(grand)}
        # a sample variance S with k degrees of freedom has sigma S sqrt(2/k); mapped to the sigma
        # (square root) as the half width of sqrt(var +- sigma_var), finite where the estimate is 0
        spread_sigma[q] = {
            "d2d": _sd_sigma(d2d_var, between * math.sqrt(2.0 / (n_dev - 1))) / abs(grand) if n_dev > 1 else math.inf,
            "c2c": _sd_sigma(c2c_var, raw_c2c * math.sqrt(2.0 / dof_c)) / abs(grand) if dof_c > 0 else math.inf}
    # residual of the two-state model over every point, each cycle with its own values
    res = []
    for d_i, d in enumerate(devices):
        idx_d = np.flatnonzero(dev == d)
        for c_i, c in enumerate(dict.fromkeys(cyc[idx_d])):
            idx = idx_d[cyc[idx_d] == c]
            model = _two_state_current(m.columns["v_volt"][idx], *(per_cycle[q][d_i][c_i] for q in IV_QUANTITIES))
            res.append(m.columns["i_amp"][idx] - model)
    res = np.concatenate(res)
    return IVFit(devices, per_cycle, value, sigma, device_mean, spread, spread_sigma,
                 float(np.sqrt(np.mean(res ** 2))), len(m))


def _t_factor(dof):
    """sqrt(k / (k - 2)): the standard error of a mean from k degrees of freedom is Student-t
    distributed, with this many times the variance of a normal one (3 for k <= 2: few samples)."""
    return math.sqrt(dof / (dof - 2.0)) if dof > 2 else 3.0


def _sd_sigma(var, sigma_var):
    """1-sigma of ``sqrt(var)`` given ``sigma_var`` of ``var``: half of sqrt(var + s) - sqrt(var - s)."""
    return 0.5 * (math.sqrt(var + sigma_var) - math.sqrt(max(0.0, var - sigma_var)))


def _two_state_current(v, v_th, v_hold, r_off, r_on):
    """The two-state device's current over one up-and-down sweep ``v`` (quasi-static)."""
    top = int(np.argmax(v))
    on = np.zeros(len(v), dtype=bool)
    on[:top + 1] = v[:top + 1] >= v_th
    state = bool(on[top])
    for n in range(top + 1, len(v)):
        state = state and v[n] > v_hold
        on[n] = state
    return np.where(on, v / r_on, v / r_off)


# ------------------------------------------------------------------------------------------------
# threshold switch: frequency vs drive -> C

def _node_limits(v):
    """``(onset, latch)`` drive of circuit values ``v`` (a dict of CIRCUIT_FIELDS, vin range unused)."""
    rs = v["r_sense_ohm"]
    vth_node = v["v_th_volt"] * (1 + rs / v["r_off_ohm"])
    vhold_node = v["v_hold_volt"] * (1 + rs / v["r_on_ohm"])
    k_off = (v["r_off_ohm"] + rs) / (v["r_load_ohm"] + v["r_off_ohm"] + rs)
    k_on = (v["r_on_ohm"] + rs) / (v["r_load_ohm"] + v["r_on_ohm"] + rs)
    return vth_node / k_off, vhold_node / k_on


def _circuit(values, name="fit", vin_range=None):
    """A :class:`ThresholdSwitchPreset` of ``values`` with an operating range inside its oscillating
    range (``vin_range`` clipped into it, else its middle half)."""
    onset, latch = _node_limits(values)
    if not onset < latch:
        raise ParameterError("r_load_ohm", values["r_load_ohm"], f"a load with onset < latch (onset {onset:.4g} V, "
                             f"latch {latch:.4g} V)", why="the fitted device cannot oscillate at this load")
    lo, hi = onset + 0.02 * (latch - onset), latch - 0.02 * (latch - onset)
    if vin_range is not None:
        a, b = max(lo, vin_range[0]), min(hi, vin_range[1])
        if a < b:
            lo, hi = a, b
    v = dict(values, vin_min_volt=lo, vin_max_volt=hi)
    return ThresholdSwitchPreset(name=name, **v)


def _rate_times_c(values, vin):
    """``f(Vin) * C``: the analytic rate at C = 1 F (exactly proportional to 1/C)."""
    p = _circuit(dict(values, c_farad=1.0))
    return np.asarray(analytic_rate_hz(p, vin), dtype=float)


def _fit_capacitance(fv, iv, base_values):
    """``ln C`` = mean(ln h - ln f) per point, each point with its device's own I-V values (module
    docstring) -> ``(C, sigma_C, rms of ln f residuals, per-point model rates)``."""
    vin, f, rl = fv.columns["vin_volt"], fv.columns["f_hz"], fv.columns["r_load_ohm"]
    devs = fv.labels.get("device")
    use_dev = devs is not None and set(devs) <= set(iv.devices)
    if devs is not None and not use_dev:
        missing = [d for d in devs if d not in iv.devices][0]
        i = int(np.flatnonzero(devs == missing)[0])
        raise ParameterError(_where(fv.path, fv.rows[i], "device"), missing, ", ".join(iv.devices),
                             why="no I-V sweeps of this device")

    def device_values(d, shift=None):
        vals = dict(base_values)
        for q in IV_QUANTITIES:
            vals[q] = iv.device_mean[q][d][0] if use_dev else iv.value[q]
        if shift:
            vals[shift[0]] += shift[1]
        return vals

    def log_h(shift=None):
        out = np.empty(len(fv))
        for n in range(len(fv)):
            d = devs[n] if use_dev else None
            vals = dict(device_values(d, shift), r_load_ohm=rl[n])
            h = _rate_times_c(vals, vin[n])
            if not h > 0:
                onset, latch = _node_limits(vals)
                raise ParameterError(_where(fv.path, fv.rows[n], "vin_volt"), vin[n],
                                     f"({onset:.4g}, {latch:.4g}) V, where the fitted device oscillates at this load",
                                     why="a measured oscillation the fitted device values cannot produce")
            out[n] = math.log(float(h))
        return out

    lh = log_h()
    d = lh - np.log(f)
    ln_c = float(d.mean())
    s2 = float(((d - ln_c) ** 2).sum()) / max(1, len(d) - 1)
    var = s2 / len(d)
    # the I-V values' uncertainties, propagated through h (numerical derivative of mean ln h)
    for q in IV_QUANTITIES:
        if use_dev:
            sig = {dd: iv.device_mean[q][dd][1] for dd in set(devs)}
            step = 1e-4 * abs(iv.value[q])
            for dd, sg in sig.items():
                sel = devs == dd
                shifted = _shift_device(log_h, q, step, dd, device_values, vin, rl, sel)
                deriv = float((shifted - lh)[sel].sum() / len(d)) / step
                var += (deriv * sg) ** 2
        else:
            step = 1e-4 * abs(iv.value[q])
            deriv = float((log_h((q, step)) - lh).mean()) / step
            var += (deriv * iv.sigma[q]) ** 2
    c = math.exp(ln_c)
    return c, c * math.sqrt(var), math.sqrt(s2 * (len(d) - 1) / len(d)), np.exp(lh) / c


def _fit_oscillation(fv, iv, values, c0):
    """The oscillator's f-V fit: ``C`` and the off resistance the node charges through, by least
    squares on ``ln f`` (each row with its device's I-V values and its own R_L; V_th, V_hold and R_on
    from the I-V fit) -> ``(C, sigma_C, R_off, sigma_R_off, rms of ln f residuals)``. A device whose
    off branch bends (self-heating) has no single R_off; this is the one its oscillation sees."""
    vin, f, rl = fv.columns["vin_volt"], fv.columns["f_hz"], fv.columns["r_load_ohm"]
    devs = fv.labels.get("device")
    use_dev = devs is not None and set(devs) <= set(iv.devices)
    rows = []
    for n in range(len(fv)):
        vals = dict(values, r_load_ohm=rl[n])
        for q in ("v_th_volt", "v_hold_volt", "r_on_ohm"):
            vals[q] = iv.device_mean[q][devs[n]][0] if use_dev else iv.value[q]
        rows.append(vals)

    def residual(theta):
        out = np.empty(len(fv))
        for n, vals in enumerate(rows):
            h = float(_rate_times_c(dict(vals, r_off_ohm=math.exp(theta[1])), vin[n])) if _can_oscillate(
                dict(vals, r_off_ohm=math.exp(theta[1]))) else 0.0
            out[n] = (math.log(h) if h > 0 else -50.0) - theta[0] - math.log(f[n])
        return out

    theta, sig, rms = _least_squares(residual, [math.log(c0), math.log(values["r_off_ohm"])], ("c_farad", "r_off_ohm"),
                                     len(fv))
    c, r_off = math.exp(theta[0]), math.exp(theta[1])
    return c, c * sig[0], r_off, r_off * sig[1], rms


def _can_oscillate(values):
    onset, latch = _node_limits(values)
    try:
        _circuit(values)
    except ParameterError:
        return False
    return onset < latch


def _shift_device(log_h, q, step, dd, device_values, vin, rl, sel):
    out = log_h()
    for n in np.flatnonzero(sel):
        vals = dict(device_values(dd, (q, step)), r_load_ohm=rl[n])
        out[n] = math.log(float(_rate_times_c(vals, vin[n])))
    return out


# ------------------------------------------------------------------------------------------------
# the result

@dataclass
class FitResult:
    """A fitted preset and how well it fits: ``parameters`` (SI) and their 1-sigma ``sigma``,
    ``spread`` / ``spread_sigma`` (relative, per parameter: d2d, c2c), ``residual_rms`` per data set
    (with its unit), the data and model curves (``curves``) for the plot."""

    family: str
    preset: object
    parameters: dict
    sigma: dict
    spread: dict = field(default_factory=dict)
    spread_sigma: dict = field(default_factory=dict)
    residual_rms: dict = field(default_factory=dict)
    n_points: dict = field(default_factory=dict)
    data: list = field(default_factory=list)
    curves: dict = field(default_factory=dict)

    def to_dict(self):
        def clean(x):
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, float) and not math.isfinite(x):
                return None
            return x
        return {"family": self.family, "preset": self.preset.name, "parameters": clean(self.parameters),
                "sigma": clean(self.sigma), "spread": clean(self.spread), "spread_sigma": clean(self.spread_sigma),
                "residual_rms": clean(self.residual_rms), "n_points": self.n_points, "data": self.data,
                "assumed": list(self.preset.assumed), "source": self.preset.source}


def _fit_ts(family, data, base, name):
    from .threshold_switch import CIRCUIT_FIELDS
    ivs = [m for m in data if m.format.name == "iv"]
    fvs = [m for m in data if m.format.name == "fv"]
    if len(ivs) != 1:
        raise ParameterError("paths", [m.path for m in data], "exactly one I-V file (columns v_volt,i_amp[,device,cycle]) "
                             "and at most one frequency file (vin_volt,f_hz,r_load_ohm[,device])",
                             why=f"{len(ivs)} I-V files")
    if len(fvs) > 1 or (family == "oscillator" and not fvs):
        raise ParameterError("paths", [m.path for m in data], "one frequency file (vin_volt,f_hz,r_load_ohm[,device])"
                             + (" (required for an oscillator)" if family == "oscillator" else ""))
    iv = fit_iv(ivs[0])
    params = {q: iv.value[q] for q in IV_QUANTITIES}
    sigma = {q: iv.sigma[q] for q in IV_QUANTITIES}
    residual = {"iv_current_amp": iv.residual_rms_amp}
    n_points = {"iv": iv.n_points}
    values = {f: getattr(base, f) for f in CIRCUIT_FIELDS} | params
    vin_range = None
    curves = {"iv": {"v_volt": ivs[0].columns["v_volt"].tolist(), "i_amp": ivs[0].columns["i_amp"].tolist()}}
    if fvs:
        fv = fvs[0]
        rl = fv.columns["r_load_ohm"]
        c, sc, rms, model_f = _fit_capacitance(fv, iv, values)   # model_f: each point with its device's values
        params["c_farad"], sigma["c_farad"] = c, sc
        if family == "oscillator":
            curves["iv_r_off_ohm"] = params["r_off_ohm"]
            c, sc, r_off, s_off, rms = _fit_oscillation(fv, iv, values, c)
            params["c_farad"], sigma["c_farad"] = c, sc
            params["r_off_ohm"], sigma["r_off_ohm"] = r_off, s_off
            values["r_off_ohm"] = r_off
        residual["fv_log_f"] = rms
        n_points["fv"] = len(fv)
        values["c_farad"] = c
        values["r_load_ohm"] = float(np.median(rl))   # the preset's load: the one measured at
        vin = fv.columns["vin_volt"][rl == values["r_load_ohm"]] if np.any(rl == values["r_load_ohm"]) else fv.columns["vin_volt"]
        vin_range = (float(vin.min()), float(vin.max()))
        if family == "oscillator":
            model_f = np.array([float(_rate_times_c(dict(values, c_farad=1.0, r_load_ohm=r), v)) / c
                                for v, r in zip(fv.columns["vin_volt"], rl)])
        curves["fv"] = {"vin_volt": fv.columns["vin_volt"].tolist(), "f_hz": fv.columns["f_hz"].tolist(),
                        "model_f_hz": model_f.tolist(), "r_load_ohm": rl.tolist()}
    fitted = tuple(params) + (("r_load_ohm",) if fvs else ())
    assumed = tuple(f for f in CIRCUIT_FIELDS if f not in fitted and f not in ("vin_min_volt", "vin_max_volt")) + (
        ("vin_min_volt", "vin_max_volt") if not fvs else ())
    preset = _build("parameters", lambda: dataclasses.replace(
        _circuit(values, name, vin_range), source=_source(data, family), assumed=assumed))
    curves["model"] = {q: iv.value[q] for q in IV_QUANTITIES}
    return FitResult(family, preset, params, sigma, iv.spread, iv.spread_sigma, residual, n_points,
                     [m.path for m in data], curves)


def _build(where, make):
    try:
        return make()
    except ParameterError as exc:
        raise ParameterError(f"fitted {exc.field}", exc.value, exc.allowed,
                             why=(exc.why + "; " if exc.why else "") + "the fitted values do not make a valid preset") from None


def _source(data, family):
    return f"fitted ({family}) to " + ", ".join(Path(m.path).name for m in data) + " by neuroxide device fit"


# ------------------------------------------------------------------------------------------------
# FeFET / AFeFET

def _fefet_x(theta, family, ve, vi, tp, period):
    """Real-valued pulses to fire (before the ceiling) of the FeFET model with theta = (ln tau0,
    v_act[, ln tau_relax]); inf where it never fires."""
    tau0, v_act = math.exp(theta[0]), theta[1]
    r_e = tp / tau0 * np.exp(-v_act / ve)
    r_i = np.where(vi > 0, tp / tau0 * np.exp(-v_act / np.where(vi > 0, vi, 1.0)), 0.0)
    net = r_e - r_i
    if family == "fefet":
        with np.errstate(divide="ignore"):
            return np.where(net > 0, 1.0 / np.where(net > 0, net, 1.0), np.inf)
    a = np.exp(-period / math.exp(theta[2]))
    ok = net > 1.0 - a
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.log(1.0 - (1.0 - a) / np.where(ok, net, 1.0)) / np.log(a)
    return np.where(ok, x, np.inf)


def _fit_fefet(family, data, base, name):
    if len(data) != 1:
        raise ParameterError("paths", [m.path for m in data], "one pulses file")
    m = data[0]
    ve, tp, n = m.columns["v_exc_volt"], m.columns["pulse_width_s"], m.columns["pulses_to_fire"]
    vi = m.column("v_inh_volt", 0.0)
    if family == "afefet" and "pulse_period_s" not in m.columns:
        raise ParameterError(_where(m.path, m.rows[0], "pulse_period_s"), None, "a pulse_period_s column",
                             why="an antiferroelectric's relaxation is fitted from the pulse period")
    period = m.column("pulse_period_s", base.pulse_period_s)
    names = ("tau0_s", "v_act_volt") + (("tau_relax_s",) if family == "afefet" else ())
    x0 = [math.log(base.tau0_s), base.v_act_volt] + ([math.log(base.tau_relax_s)] if family == "afefet" else [])
    # a start from the uninhibited rows: ln n ~ ln(tau0/tp) + v_act / V
    free = (vi == 0) & (n > 1)
    if free.sum() >= 2 and np.ptp(1 / ve[free]) > 0:
        slope, icpt = np.polyfit(1 / ve[free], np.log(n[free]) + np.log(tp[free]), 1)
        if slope > 0:
            x0[0], x0[1] = icpt, slope

    def residual(theta):
        x = _fefet_x(theta, family, ve, vi, tp, period)
        return np.log(n) - np.log(np.where(np.isfinite(x), x, 1e12) + 0.5)

    theta, sig, rms = _least_squares(residual, x0, names, len(m))
    params = {"tau0_s": math.exp(theta[0]), "v_act_volt": float(theta[1])}
    sigma = {"tau0_s": params["tau0_s"] * sig[0], "v_act_volt": float(sig[1])}
    if family == "afefet":
        params["tau_relax_s"] = math.exp(theta[2])
        sigma["tau_relax_s"] = params["tau_relax_s"] * sig[2]
    kw = dict(params)
    if family == "fefet":
        kw["tau_relax_s"] = math.inf
    assumed = tuple(a for a in _fefet.FEFET_FIELDS if a not in params)
    preset = _build("parameters", lambda: base.replace(name=name, source=_source(data, family), assumed=assumed, **kw))
    model = _fefet_x(theta, family, ve, vi, tp, period) + 0.5
    curves = {"pulses": {"v_exc_volt": ve.tolist(), "v_inh_volt": vi.tolist(), "pulse_width_s": tp.tolist(),
                         "pulses_to_fire": n.tolist(), "model": model.tolist()}}
    return FitResult(family, preset, params, sigma, {}, {}, {"pulses_log": rms}, {"pulses": len(m)},
                     [m.path for m in data], curves)


# ------------------------------------------------------------------------------------------------
# MTJ

def _mtj_x(theta, track_m, i, tp, period):
    """Real-valued pulses to fire of the MTJ wall under rectangular current pulses (module docstring)."""
    mob, i_dep, tau = math.exp(theta[0]), theta[1], math.exp(theta[2])
    x_inf = mob * np.maximum(0.0, i - i_dep) * tau
    big_a = np.exp(-period / tau)
    big_b = x_inf * (1.0 - np.exp(-tp / tau))
    steady = big_b / (1.0 - big_a)
    ok = steady > track_m
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.log(1.0 - track_m * (1.0 - big_a) / np.where(ok, big_b, 1.0)) / np.log(big_a)
    return np.where(ok, np.maximum(x, 1.0 - 0.5), np.inf)


def _fit_mtj(family, data, base, name):
    from .mtj import MTJ_FIELDS
    if len(data) != 1:
        raise ParameterError("paths", [m.path for m in data], "one mtj_pulses file")
    m = data[0]
    i, tp, period, n = (m.columns[c] for c in ("i_amp", "pulse_width_s", "pulse_period_s", "pulses_to_fire"))
    names = ("mobility_m_per_s_per_amp", "i_dep_amp", "tau_relax_s")
    x0 = [math.log(base.mobility_m_per_s_per_amp), min(base.i_dep_amp, 0.5 * float(i.min())), math.log(base.tau_relax_s)]
    track = base.track_length_m

    def residual(theta):
        x = _mtj_x(theta, track, i, tp, period)
        return np.log(n) - np.log(np.where(np.isfinite(x), x, 1e12) + 0.5)

    theta, sig, rms = _least_squares(residual, x0, names, len(m))
    params = {"mobility_m_per_s_per_amp": math.exp(theta[0]), "i_dep_amp": float(theta[1]), "tau_relax_s": math.exp(theta[2])}
    sigma = {"mobility_m_per_s_per_amp": params["mobility_m_per_s_per_amp"] * sig[0], "i_dep_amp": float(sig[1]),
             "tau_relax_s": params["tau_relax_s"] * sig[2]}
    assumed = tuple(f for f in MTJ_FIELDS if f not in params)
    i_min = max(base.i_min_amp, params["i_dep_amp"] + track / (params["mobility_m_per_s_per_amp"] * params["tau_relax_s"]))
    kw = dict(params)
    if not i_min < base.i_max_amp:
        kw["i_max_amp"] = float(i.max())
    kw["i_min_amp"] = 1.05 * i_min if i_min > base.i_min_amp else base.i_min_amp
    preset = _build("parameters", lambda: base.replace(name=name, source=_source(data, family), assumed=assumed, **kw))
    curves = {"pulses": {"i_amp": i.tolist(), "pulse_width_s": tp.tolist(), "pulse_period_s": period.tolist(),
                         "pulses_to_fire": n.tolist(), "model": (_mtj_x(theta, track, i, tp, period) + 0.5).tolist()}}
    return FitResult(family, preset, params, sigma, {}, {}, {"pulses_log": rms}, {"pulses": len(m)},
                     [m.path for m in data], curves)


# ------------------------------------------------------------------------------------------------
# stochastic

def _fit_stochastic(family, data, base, name):
    from scipy.special import ndtr
    if len(data) != 1:
        raise ParameterError("paths", [m.path for m in data], "one probability file")
    m = data[0]
    vin, trials, fired = m.columns["vin_volt"], m.columns["trials"], m.columns["fired"]
    p_hat = fired / trials
    if not (np.any(p_hat < 0.5) and np.any(p_hat > 0.5)):
        raise ParameterError(_where(m.path, m.rows[0], "fired"), "...", "drives below and above the 50 % point",
                             why="the data do not bracket the threshold")
    mid = float(np.interp(0.5, np.maximum.accumulate(p_hat), vin)) if np.all(np.diff(vin) > 0) else float(np.median(vin))
    x0 = [mid, base.sigma_rel]
    p_smooth = (fired + 0.5) / (trials + 1.0)
    w = np.sqrt(trials / (p_smooth * (1 - p_smooth)))

    def residual(theta):
        model = ndtr((vin - theta[0]) / (abs(theta[1]) * theta[0]))
        return (p_hat - model) * w

    theta, sig, rms = _least_squares(residual, x0, ("vin_50_volt", "sigma_rel"), len(m))
    # binomial weights from the model itself, then refit (iteratively reweighted least squares)
    p_model = np.clip(ndtr((vin - theta[0]) / (abs(theta[1]) * theta[0])), 0.5 / (trials + 1), 1 - 0.5 / (trials + 1))
    w = np.sqrt(trials / (p_model * (1 - p_model)))
    theta, sig, rms = _least_squares(residual, theta, ("vin_50_volt", "sigma_rel"), len(m))
    vin50, s_rel = float(theta[0]), abs(float(theta[1]))
    c = base.circuit
    k_off = c.k_off
    factor = k_off / (1.0 + c.r_sense_ohm / c.r_off_ohm)        # v_th_volt = Vin_50 * factor
    params = {"v_th_volt": vin50 * factor, "sigma_rel": s_rel}
    sigma = {"v_th_volt": float(sig[0]) * factor, "sigma_rel": float(sig[1])}
    from .threshold_switch import CIRCUIT_FIELDS
    values = {f: getattr(c, f) for f in CIRCUIT_FIELDS} | {"v_th_volt": params["v_th_volt"]}
    circuit = _build("circuit.parameters", lambda: _circuit(values, name + "-circuit", (c.vin_min_volt, c.vin_max_volt)))
    circuit = dataclasses.replace(circuit, source=f"{base.circuit.name} circuit, v_th_volt fitted",
                                  assumed=tuple(f for f in CIRCUIT_FIELDS if f != "v_th_volt"))
    preset = _build("parameters", lambda: base.replace(name=name, circuit=circuit, sigma_rel=s_rel,
                                                         source=_source(data, family), assumed=()))
    model = ndtr((vin - vin50) / (s_rel * vin50))
    curves = {"probability": {"vin_volt": vin.tolist(), "p_fire": p_hat.tolist(), "model": model.tolist()},
              "vin_50_volt": vin50, "vin_50_sigma_volt": float(sig[0])}
    return FitResult(family, preset, params, sigma, {"v_th_volt": {"c2c": s_rel}}, {"v_th_volt": {"c2c": float(sig[1])}},
                     {"probability_weighted": rms}, {"probability": len(m)}, [m.path for m in data], curves)


# ------------------------------------------------------------------------------------------------

def fit_device(paths, family, base=None, name=None):
    """Fit family ``family`` to the measurement CSVs ``paths`` -> :class:`FitResult`. ``base``: the
    preset (object, name or file) giving the values the data do not determine (default
    :data:`BASE_PRESETS`); ``name``: the fitted preset's name (default: the first file's stem)."""
    from .preset_file import resolve_preset
    from .zoo import family_of
    if family not in FIT_FAMILIES:
        raise ParameterError("family", family, " | ".join(FIT_FAMILIES))
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not paths:
        raise ParameterError("paths", paths, "one or more measurement CSV files")
    base_p = resolve_preset(BASE_PRESETS[family] if base is None else base)
    want = "ts" if family == "oscillator" else family
    have = "ts" if family_of(base_p) == "oscillator" else family_of(base_p)
    if have != want:
        raise ParameterError("base", getattr(base_p, "name", base), f"a {family} preset",
                             why=f"it is a {family_of(base_p)} preset")
    name = name or Path(paths[0]).stem
    from .preset_file import _NAME
    if not _NAME.match(name):
        raise ParameterError("name", name, "1-64 characters of A-Z a-z 0-9 . _ + -")
    data = [read_measurement(p, FAMILY_FORMATS[family]) for p in paths]
    fitter = {"ts": _fit_ts, "oscillator": _fit_ts, "fefet": _fit_fefet, "afefet": _fit_fefet, "mtj": _fit_mtj,
              "stochastic": _fit_stochastic}[family]
    result = fitter(family, data, base_p, name)
    from .zoo import register_family
    result.preset = register_family(result.preset, family)
    return result


def fit_header(result):
    """The comment a fitted preset file starts with."""
    lines = [f"neuroxide device preset, fitted by `neuroxide device fit --family {result.family}` (docs/devices.md)",
             "data: " + ", ".join(result.data)]
    for k, v in result.parameters.items():
        lines.append(f"  {k} = {v:.6g} +- {result.sigma[k]:.2g}")
    lines.append("residual RMS: " + ", ".join(f"{k} {v:.3g}" for k, v in result.residual_rms.items()))
    return "\n".join(lines)


def plot_fit(result, path, field_name="path"):
    """Data and fitted model curves as a PNG at ``path`` (``field_name``: what errors call it)."""
    from neuroxide.fileio import save_figure
    from neuroxide.plots import new_figure
    c = result.curves
    panels = [k for k in ("iv", "fv", "pulses", "probability") if k in c]
    fig = new_figure(figsize=(5.5 * len(panels), 4.2), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, key in zip(axes, panels):
        d = c[key]
        if key == "iv":
            v, i = np.asarray(d["v_volt"]), np.asarray(d["i_amp"])
            ax.plot(v, i * 1e3, ".", ms=2, alpha=0.4, label="data (all cycles)")
            mdl = c["model"]
            vmax = float(v.max())
            vu = np.linspace(0, vmax, 400)
            sweep = np.concatenate([vu, vu[::-1]])
            ax.plot(sweep, _two_state_current(sweep, mdl["v_th_volt"], mdl["v_hold_volt"], mdl["r_off_ohm"],
                                              mdl["r_on_ohm"]) * 1e3, "-", color="C3", lw=1.2, label="fitted two-state model")
            ax.set_xlabel("device voltage (V)")
            ax.set_ylabel("current (mA)")
        elif key == "fv":
            ax.plot(d["vin_volt"], np.asarray(d["f_hz"]) / 1e6, "o", label="data")
            order = np.argsort(d["vin_volt"])
            ax.plot(np.asarray(d["vin_volt"])[order], np.asarray(d["model_f_hz"])[order] / 1e6, "-", label="fitted model")
            ax.set_xlabel("Vin (V)")
            ax.set_ylabel("frequency (MHz)")
        elif key == "pulses":
            x = d.get("v_exc_volt", d.get("i_amp"))
            unit = "V" if "v_exc_volt" in d else "A"
            ax.semilogy(x, d["pulses_to_fire"], "o", label="data")
            ax.semilogy(x, d["model"], "x", label="fitted model (mean count)")
            ax.set_xlabel(f"pulse amplitude ({unit})")
            ax.set_ylabel("pulses to fire")
        else:
            ax.plot(d["vin_volt"], d["p_fire"], "o", label="data")
            ax.plot(d["vin_volt"], d["model"], "-", label="fitted probit")
            ax.set_xlabel("Vin (V)")
            ax.set_ylabel("firing probability")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{result.preset.name}: {result.family} fit", fontsize=10)
    return save_figure(fig, path, field=field_name)


def main(argv=None):
    """``python -m neuroxide.models.devices.fit --make-examples DIR``: regenerate the example CSVs."""
    import argparse
    ap = argparse.ArgumentParser(prog="python -m neuroxide.models.devices.fit", description=main.__doc__)
    ap.add_argument("--make-examples", metavar="DIR", required=True,
                    help="folder to write the synthetic example measurements into (models/data/measurements)")
    args = ap.parse_args(argv)
    from .synthetic import make_examples
    for name in make_examples(args.make_examples):
        print(Path(args.make_examples) / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
