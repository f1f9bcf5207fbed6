"""Helpers shared by the tests and by nothing that ships.

* :mod:`support.cli`: the command line in-process (the ``cli`` fixture) or as a real process.
* :mod:`support.tools`: which simulators and tools this machine has (``needs``, ``require``,
  the ``any_simulator`` fixture); with ``REQUIRE_TOOLS=1`` a missing tool fails instead of skipping.
* :mod:`support.badinput`: the bad-input catalogue of the command line
  (``python -m tests.support.badinput --doc docs/robustness.md`` regenerates its docs page).
* :mod:`support.amaranth_sim`, :mod:`support.equivalence`: RTL in Amaranth's simulator against the
  models (the one simulator driver; one-step equivalence of an update rule).

Tests import them as ``from support import ...``: ``tests/conftest.py`` puts ``tests/`` on the path.
"""
