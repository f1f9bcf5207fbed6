"""Atomic file output: a file is either written whole or not at all (no half-written results)."""

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from neuroxide.errors import ParameterError

__all__ = ["atomic_path", "write_text", "write_json", "save_figure", "check_output", "check_folder"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _check_parents(field, path, allowed):
    """The nearest existing ancestor of ``path`` must be a writable folder."""
    for parent in Path(path).absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise ParameterError(field, str(path), allowed, why=f"{parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise ParameterError(field, str(path), allowed, why=f"folder {parent} is not writable")
            return


def check_output(field, path):
    """``path`` if a file can be written there (not a folder; its folders exist or can be created),
    else ParameterError naming ``field`` (the option that gave it). ``None`` passes through."""
    if path is None:
        return None
    allowed = "a writable file path (not a folder)"
    if Path(path).is_dir():
        raise ParameterError(field, str(path), allowed, why="it is a folder")
    _check_parents(field, path, allowed)
    return path


def check_folder(field, path):
    """``path`` if it is a folder or one can be created there, else ParameterError naming ``field``."""
    if path is None:
        return None
    allowed = "a folder, or a path where one can be created"
    if Path(path).exists() and not Path(path).is_dir():
        raise ParameterError(field, str(path), allowed, why="it is a file")
    _check_parents(field, path, allowed)
    return path


@contextmanager
def atomic_path(path, field="output"):
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    The file gets the permissions an ordinary ``open(path, "w")`` would (mkstemp's are 0600). A path
    that cannot be written (a folder, a file where a folder should be, no permission) raises
    ParameterError naming ``field``; nothing is left behind either way.
    """
    path = Path(path)
    allowed = "a writable file path (not a folder)"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise ParameterError(field, str(path), allowed, why=exc.strerror or str(exc)) from None
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield Path(tmp)
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise ParameterError(field, str(path), allowed, why=exc.strerror or str(exc)) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path, text, field="output"):
    with atomic_path(path, field) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_json(path, obj, field="output"):
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n", field)


def save_figure(fig, path, field="--plot"):
    """Save a matplotlib figure as PNG at ``path``, atomically; returns ``path`` as given."""
    with atomic_path(path, field) as tmp, open(tmp, "wb") as f:
        fig.savefig(f, format="png")
    return os.fspath(path)
