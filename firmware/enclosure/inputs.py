# The controller's inputs, debounced: a level counts once it has held for a while, so the
# bounce of a switch (a few ms) or a slip's flutter in the light beam is never two events.

import time

SWITCH_MS = 30  # seal and lid micro-switches bounce for up to ~10 ms
KEY_MS = 20
SLIP_MS = 5  # a 80 mm slip falling through a 10 mm beam blocks it for some 10-40 ms
JAM_MS = 1500  # a slip still in the beam after this is stuck in the slot


class Debounced:
    """A level that changes only after the raw level held for `hold_ms`."""

    def __init__(self, level, hold_ms, now):
        self.level = level
        self._hold = hold_ms
        self._raw = level
        self._since = now

    def update(self, raw, now):
        """True when the debounced level changed at this sample."""
        if raw != self._raw:
            self._raw, self._since = raw, now
            return False
        if raw != self.level and time.ticks_diff(now, self._since) >= self._hold:
            self.level = raw
            return True
        return False

    def settled(self):
        """No change is on its way (the raw level is the debounced one)."""
        return self._raw == self.level

    def held_ms(self, now):
        """How long the raw level has been what it is now."""
        return time.ticks_diff(now, self._since)


class SlipSensor:
    """The light beam across the ballot box's slot: one count per slip as the beam is
    broken, a jam when it stays broken for JAM_MS, cleared when the beam is free again."""

    def __init__(self, blocked, now):
        self._beam = Debounced(blocked, SLIP_MS, now)
        self.jammed = blocked  # blocked at power-on: something is in the slot

    def update(self, blocked, now):
        """The events of this sample: "slip", "jam", "jam_cleared" (or none)."""
        events = []
        if self._beam.update(blocked, now):
            if self._beam.level:
                events.append("slip")
            elif self.jammed:
                self.jammed = False
                events.append("jam_cleared")
        if self._beam.level and not self.jammed and self._beam.held_ms(now) >= JAM_MS:
            self.jammed = True
            events.append("jam")
        return events

    def settled(self):
        return self._beam.settled()


class Keys:
    """The tactile keys, each debounced: (key index, down) for every change."""

    def __init__(self, levels, now):
        self._keys = [Debounced(level, KEY_MS, now) for level in levels]

    def update(self, levels, now):
        changes = []
        for index, key in enumerate(self._keys):
            if key.update(levels[index], now):
                changes.append((index, key.level))
        return changes
