"""The command line's defaults, in one place (documented in docs/cli.md).

Every command that simulates takes the same seed and number of paths; every command that
fits takes the same seed.
"""

from __future__ import annotations

DEFAULT_CASE = "east-asia-1945"
SEED = 0
PATHS = 10_000
MCMC_STEPS = 3000
SENSITIVITY_SAMPLES = 128
SENSITIVITY_DRAWS = 64
REPORT_SENSITIVITY_SAMPLES = 64
REPORT_SENSITIVITY_DRAWS = 32
REPORT_FOLDER = "realpolitik-report"
HEADLINE_ACTOR = "USSR"
