"""The enclosure controller's warnings on the poll worker's screens: what was opened, what
is stuck, and a controller that stopped answering."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from terminal.app.station import Station


def warnings(s: Station) -> tuple[str, ...]:
    """The lines to add below a screen's own (the seal itself is the desk's `s.seal`)."""
    watch, w = s.enclosure_watch, s._w
    if watch is None:
        return ()
    lines: list[str] = []
    if not watch.connected:
        lines.append(w("Warning: the enclosure controller does not answer."))
    if watch.tampered:
        lines.append(
            w("Warning: the enclosure was opened while the terminal was off. Call the chair.")
        )
    if watch.lid_open:
        lines.append(w("Warning: the ballot box lid is open. Call the chair."))
    if watch.jammed:
        lines.append(w("The ballot box slot is jammed: a slip is stuck. Call the chair."))
    return tuple(lines)
