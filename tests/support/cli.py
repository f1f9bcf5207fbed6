"""The command line from a test: in this interpreter (the default) or as a real process.

:func:`run_cli` calls :func:`neuroxide.cli.main` with stdout and stderr captured and argparse's
``SystemExit`` turned into the exit code, so a test pays no interpreter start-up (a second or
more with numpy and Amaranth imported). :func:`run_process` runs ``python -m neuroxide.cli`` for
the few tests that are about the process itself (its exit status, a fresh interpreter).
Both return a :class:`Result`.
"""

import contextlib
import io
import json
import subprocess
import sys
from dataclasses import dataclass

__all__ = ["Result", "run_cli", "run_process"]


@dataclass(frozen=True)
class Result:
    """What a command did: exit ``code``, everything it wrote to ``stdout`` and ``stderr``."""

    code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        """The JSON object on the last line of stdout (the ``--json`` contract of every subcommand)."""
        lines = self.stdout.strip().splitlines()
        assert lines, f"exit {self.code}, no output on stdout; stderr: {self.stderr[-2000:]}"
        return json.loads(lines[-1])


def _exit_code(exc):
    # sys.exit(None) is success, sys.exit("message") prints the message and exits 1
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def run_cli(*argv, cwd=None):
    """``neuroxide ARGV...`` in this interpreter (``cwd``: the working folder during the call).

    Arguments are passed through ``str`` (paths welcome). An exception other than ``SystemExit``
    propagates: a traceback is a failure the test should show, not an exit code.
    """
    from neuroxide.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = _exit_code(exc)
    return Result(0 if code is None else code, out.getvalue(), err.getvalue())


def run_process(*argv, cwd=None, env=None, timeout_s=300):
    """``python -m neuroxide.cli ARGV...`` as a child process of this interpreter."""
    proc = subprocess.run([sys.executable, "-m", "neuroxide.cli", *map(str, argv)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout_s)
    return Result(proc.returncode, proc.stdout, proc.stderr)
