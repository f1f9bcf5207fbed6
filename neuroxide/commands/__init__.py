"""Subcommands beyond the core flow (``digits``, ``hopfield``, ``maxcut``, ``izhikevich`` ...).

Each module here defines ``register(sub)``, which adds its parser to ``sub`` (the argparse
subparsers of ``neuroxide``) and sets ``func`` to a handler ``func(args) -> exit code``. Modules
are found automatically: adding a subcommand means adding one file, nothing else.

Handlers follow the CLI contract (DESIGN.md): ``--json`` (:func:`add_json`) makes the last stdout
line one JSON object (:func:`emit`); bad input raises :class:`~neuroxide.errors.ParameterError`
(exit 2, naming the field and the allowed range) before anything is written; import heavy modules
inside the handler so ``neuroxide --help`` stays fast.
"""

import importlib
import json
import pkgutil
import sys
from pathlib import Path

from neuroxide.errors import ParameterError

__all__ = ["add_json", "emit", "table", "status", "plot_path", "check_range", "register_all"]


def add_json(p):
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line of stdout")


def emit(args, result, human):
    """Print the human text, and the JSON line when ``--json``."""
    if human:
        print(human)
    if getattr(args, "json", False):
        print(json.dumps(result, sort_keys=True))


def table(rows, headers):
    """Plain-text table with aligned columns."""
    cols = [[str(h)] + [str(r[i]) for r in rows] for i, h in enumerate(headers)]
    widths = [max(len(c) for c in col) for col in cols]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def status(msg):
    """A progress line on stderr (stdout stays parseable)."""
    print(msg, file=sys.stderr, flush=True)


def plot_path(text, field="--plot"):
    """``None`` or a ``.png`` path; anything else is bad input."""
    if text is not None and Path(text).suffix.lower() != ".png":
        raise ParameterError(field, text, "a file name ending in .png")
    return text


def check_range(field, value, lo, hi, kind=int):
    """``value`` if it is a ``kind`` within ``lo..hi``, else ParameterError naming ``field``."""
    ok = isinstance(value, (int, float) if kind is float else int) and not isinstance(value, bool)
    if not ok or not lo <= value <= hi:
        raise ParameterError(field, value, f"{lo}..{hi}")
    return value


def register_all(sub):
    """Add every subcommand module's parser to ``sub``, in name order."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
