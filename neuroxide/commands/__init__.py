"""Subcommands beyond the core flow (``digits``, ``hopfield``, ``maxcut``, ``izhikevich`` ...).

Each module here defines ``register(sub)``, which adds its parser to ``sub`` (the argparse
subparsers of ``neuroxide``) and sets ``func`` to a handler ``func(args) -> exit code``. Modules
are found automatically: adding a subcommand means adding one file, nothing else.

A handler parses its arguments, builds the experiment's setup (``neuroxide.experiments``), runs it
and prints; it follows the CLI contract (docs/architecture.md): ``--json`` (:func:`add_json`) makes
the last stdout line one JSON object (:func:`emit`); bad input raises
:class:`~neuroxide.errors.ParameterError` (exit 2, naming the field and the allowed range) before
anything is written. An experiment names a bad argument by its own name; :func:`naming_flags` turns
that into the flag the user typed. Import heavy modules inside the handler so ``neuroxide --help``
stays fast.
"""

import dataclasses
import json
import sys
from contextlib import contextmanager
from pathlib import Path

from neuroxide.discovery import plugin_modules
from neuroxide.errors import ParameterError
from neuroxide.experiments.backends import backend_help, backend_names

__all__ = ["add_json", "add_backend", "emit", "table", "status", "plot_path", "flags_of", "naming_flags",
           "register_all"]


def add_json(p):
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line of stdout")


def add_backend(p, backends, default):
    """``--backend`` of an experiment: the names of its ``BACKENDS`` (neuroxide.experiments.backends)
    as the choices, their meanings as the help."""
    p.add_argument("--backend", choices=backend_names(backends), default=default.value,
                   help=backend_help(backends, default))


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


def flags_of(setup, **renamed):
    """``{argument: flag}`` of every field of an experiment's setup dataclass: ``--name-with-dashes``
    unless ``renamed`` gives the flag (or the positional argument's name)."""
    return {f.name: renamed.get(f.name, "--" + f.name.replace("_", "-")) for f in dataclasses.fields(setup)}


@contextmanager
def naming_flags(flags):
    """Re-raise a ParameterError on an experiment's argument (a key of ``flags``, e.g. from
    :func:`flags_of`) as one on the command-line flag that gave it."""
    try:
        yield
    except ParameterError as exc:
        flag = flags.get(exc.field)
        if flag is None or flag == exc.field:
            raise
        error = ParameterError(flag, exc.value, exc.allowed, why=exc.why)
        if getattr(exc, "overrides_named", False):
            error.overrides_named = True
        raise error from None


def register_all(sub):
    """Add every subcommand module's parser to ``sub``, in name order."""
    for module in plugin_modules(__name__):
        if hasattr(module, "register"):
            module.register(sub)
