"""The SQL explorer's read-only sandbox: statement check, limits, snapshot and runner
(explorer). `from dashboard import sandbox` gives its API."""
from dashboard.sandbox.explorer import *  # noqa: F401,F403
