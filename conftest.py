"""Root pytest configuration: eventlet must be monkey-patched before anything else is imported."""

import warnings

warnings.filterwarnings("ignore", message="Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402  (also makes psycopg2 cooperative)

pytest_plugins = ["devtools.testing"]
