"""The commission's desk (host_tools/election): host-only, it needs requirements/host.txt."""

from __future__ import annotations

import importlib.util

# The terminal's Bookworm environment has no jsonschema: these tests are not its.
collect_ignore_glob = [] if importlib.util.find_spec("jsonschema") else ["test_*.py"]
