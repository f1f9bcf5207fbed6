"""``python -m tests.support.badinput [--only TARGETS] [--doc docs/robustness.md]`` from the repository root."""

import sys

from .report import main

sys.exit(main())
