"""The demo province (Bắc Ninh, simulated figures): generate writes files/*.csv in the upload
format and loads them through the real import. `from dashboard import demo` gives its API."""
from dashboard.demo.generate import DEMO_DIR, ORDER, PROVINCE, build, generate, load  # noqa: F401
