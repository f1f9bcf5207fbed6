"""Imports run one way, and library code keeps to its place.

* The import-linter contracts of pyproject.toml ([tool.importlinter]): the flow's stages as layers
  (CLI layer > boards | testbench > rtl > models > basics) and the CLI layer's own order (entry
  points > commands | benchmarks > experiments > flow > designs). The linter reads one folder per
  package, but the package-dir mapping puts neuroxide.models in models/ and so on, so the check runs
  on a tree of links that joins them under one neuroxide/ (a fresh interpreter, where ``neuroxide``
  resolves to that tree).
* A library function (models, rtl, testbench, boards) never raises an error named after a CLI flag
  and never switches matplotlib's backend: both belong to the command line. Nor does it import a
  project module by name (``importlib.import_module``), which the linter cannot see.
"""

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ("neuroxide.models", "neuroxide.rtl", "neuroxide.testbench", "neuroxide.boards")


def _package_dirs():
    """pyproject's [tool.setuptools] package-dir: package name -> folder (relative to the root)."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]["package-dir"]


def _joined_tree(into):
    """``into/neuroxide``: links to every entry of neuroxide/ plus each subpackage mapped elsewhere."""
    package = into / "neuroxide"
    package.mkdir()
    for entry in (ROOT / "neuroxide").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for name, folder in _package_dirs().items():
        parts = name.split(".")
        if len(parts) == 2 and Path(folder) != Path("neuroxide", parts[1]):
            (package / parts[1]).symlink_to(ROOT / folder, target_is_directory=True)
    return into


def test_imports_run_one_way(tmp_path):
    linter = Path(sys.executable).parent / "lint-imports"
    assert linter.exists(), "import-linter is missing: pip install -c constraints.txt -e '.[dev]'"
    tree = _joined_tree(tmp_path)
    # the linter puts its working folder first on the path: run it in the joined tree
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")])))
    res = subprocess.run([str(linter), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")], cwd=tree, env=env,
                         capture_output=True, text=True, timeout=300)
    report = res.stdout + res.stderr
    assert "Analyzed" in report, report  # else the configuration or the tree is wrong, not the imports
    broken = report[report.find("Broken contracts"):] if "Broken contracts" in report else report
    assert res.returncode == 0, f"imports against the flow:\n{broken}"


def _library_files():
    dirs = _package_dirs()
    for package in LIBRARY:
        yield from sorted((ROOT / dirs[package]).rglob("*.py"))


def _leading_text(node):
    """The literal start of a string argument (a plain or f-string), else ''."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value)
    return ""


def _calls(path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            yield node


def _where(path, node):
    return f"{path.relative_to(ROOT)}:{node.lineno}"


def test_library_errors_name_fields_not_cli_flags():
    """A ParameterError from models/rtl/testbench/boards names the parameter (``dt``), not the flag
    a command happens to read it from (``--dt``); the command maps one to the other."""
    found = []
    for path in _library_files():
        for call in _calls(path):
            name = getattr(call.func, "id", getattr(call.func, "attr", None))
            if name == "ParameterError" and call.args and _leading_text(call.args[0]).startswith("-"):
                found.append(f"{_where(path, call)}: ParameterError({_leading_text(call.args[0])!r}, ...)")
    assert not found, "library errors named after CLI flags:\n" + "\n".join(found)


def test_library_leaves_the_matplotlib_backend_alone():
    """Choosing a backend is global state: the command line's business, not a library function's."""
    found = [f"{_where(path, call)}: matplotlib.use(...)" for path in _library_files() for call in _calls(path)
             if isinstance(call.func, ast.Attribute) and call.func.attr == "use"
             and getattr(call.func.value, "id", None) == "matplotlib"]
    assert not found, "library code switching the matplotlib backend:\n" + "\n".join(found)


def test_library_imports_no_module_by_name():
    """``importlib.import_module("neuroxide.<...>")`` hides an import from the linter: a library layer
    that loads a later stage by name (the harnesses once read design plug-ins this way) breaks the
    flow unseen. Plug-ins of a library's own package go through ``neuroxide.discovery``."""
    found = [f"{_where(path, call)}: import_module({_leading_text(call.args[0])!r})"
             for path in _library_files() for call in _calls(path)
             if getattr(call.func, "attr", getattr(call.func, "id", None)) == "import_module"
             and call.args and _leading_text(call.args[0]).startswith("neuroxide")]
    assert not found, "library code importing project modules by name:\n" + "\n".join(found)
