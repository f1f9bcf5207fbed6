"""Plug-in discovery: the modules of a package, imported in name order.

Designs (``neuroxide/designs/``), subcommands (``neuroxide/commands/``), benchmark parts
(``neuroxide/benchmarks/``) and formal harness groups (``neuroxide/testbench/formal_*.py``) are each
found by listing their package, so adding one means adding one file. A basic: it imports nothing of
the project, only the package it is asked to list.
"""

import importlib
import pkgutil

__all__ = ["plugin_modules"]


def plugin_modules(package, prefix=""):
    """Import every module of ``package`` (a dotted name) whose name starts with ``prefix``; return
    them in name order, so what a registry holds never depends on the file system's listing order.

    Works while ``package`` itself is still being imported (its ``__path__`` is set first), which
    lets a package's ``__init__`` build its registry from its own modules.
    """
    pkg = importlib.import_module(package)
    names = sorted(info.name for info in pkgutil.iter_modules(pkg.__path__) if info.name.startswith(prefix))
    return [importlib.import_module(f"{package}.{name}") for name in names]
