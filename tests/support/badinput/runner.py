"""Running a case: a fresh temporary folder that is also the working folder, the input files
written into it, the command (in-process, or the real ``python -m neuroxide.cli``) or reader call,
then every promise of the bad-input contract checked (see :mod:`support.badinput`)."""

import contextlib
import tempfile
import time
import traceback
from pathlib import Path

from ..cli import run_cli, run_process
from .case import ALLOWED_MARKERS, TMP, Outcome

__all__ = ["run_case", "run_all"]


def _materialise(case, tmp):
    for name, content in case.files:
        path = Path(tmp) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        else:
            path.write_bytes(content)


def _listing(tmp):
    return sorted(str(p.relative_to(tmp)) for p in Path(tmp).rglob("*"))


def _first_error(text):
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith("error:"):
            return ln
    return lines[-1] if lines else ""


def _run_cli(argv, tmp, use_subprocess):
    if use_subprocess:
        result = run_process(*argv, cwd=tmp)
        return result.code, result.stderr
    try:
        result = run_cli(*argv, cwd=tmp)
    except Exception:  # noqa: BLE001 - what the catalogue looks for
        return "traceback", traceback.format_exc()
    return result.code, result.stderr


def _run_call(case, tmp):
    from neuroxide.errors import ParameterError
    try:
        with contextlib.chdir(tmp):
            result = case.call(tmp)
    except ParameterError as exc:
        return 2, f"error: {exc}"
    except Exception as exc:  # noqa: BLE001 - ProtocolError is expected; anything else is a finding
        if type(exc).__name__ == "ProtocolError":
            status = getattr(exc, "status", "-")
            return f"ProtocolError({getattr(status, 'name', status)})", f"error: {exc}"
        return "traceback", traceback.format_exc()
    return 0, f"accepted: {type(result).__name__}"


def run_case(case):
    """Try one case in a fresh temporary folder; the :class:`Outcome` lists every broken promise."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="badinput-") as tmp:
        _materialise(case, tmp)
        before = _listing(tmp)
        problems = []
        if case.call is not None:
            code, err = _run_call(case, tmp)
        else:
            argv = [a.replace(TMP, tmp) for a in case.argv]
            code, err = _run_cli(argv, tmp, case.subprocess)
        message = _first_error(err)
        if "Traceback" in err or code == "traceback":
            problems.append("traceback")
            message = [ln for ln in err.strip().splitlines() if ln.strip()][-1] if err.strip() else message
        if case.expect == "ProtocolError":
            want = f"ProtocolError({case.status or None})"
            if code != want:
                problems.append(f"expected {want}, got {code}")
        elif code != 2:
            problems.append(f"exit {code}, expected 2")
        if case.field.lower() not in message.lower():
            problems.append(f"message does not name {case.field!r}")
        if case.expect == "exit 2" and not any(m in message for m in ALLOWED_MARKERS):
            problems.append("message does not say what is allowed")
        after = _listing(tmp)
        new = [p for p in after if p not in before]
        left = [o for o in case.outputs if (Path(tmp) / o).exists()]
        if new or left:
            problems.append(f"left behind: {', '.join(sorted(set(new) | set(left)))}")
        message = message.replace(tmp, "$TMP")
    return Outcome(case, code, message, problems, round(time.perf_counter() - t0, 3))


def run_all(cases, progress=None):
    """:func:`run_case` of each case in order; ``progress(1)`` after each."""
    outcomes = []
    for case in cases:
        outcomes.append(run_case(case))
        if progress:
            progress(1)
    return outcomes
