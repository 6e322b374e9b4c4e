"""Project tests: offline unit and Hypothesis tests (tests/unit) and end-to-end tests (tests/e2e)."""

import os

from hypothesis import HealthCheck, settings

# CI gets a fixed, derandomised profile so a red run can be reproduced; developers get the default.
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
