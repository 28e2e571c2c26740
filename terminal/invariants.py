"""Invariants of the code itself: states the code never makes, checked where they matter.

`assert` disappears under `python -O`, so no security decision may rest on it (issue 11).
These checks stay, whatever the interpreter's flags: reaching one is a bug, and it stops the
operation loudly instead of going on in a state nobody designed.
"""

from __future__ import annotations


class InvariantError(RuntimeError):
    """A state the code never makes was reached: a bug, never a user's or a device's input."""
