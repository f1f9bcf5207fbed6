import os

from hypothesis import settings

# fast suite: a few hundred examples per rule; `make test-slow` sets HYPOTHESIS_PROFILE=slow
settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile("slow", max_examples=10_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
