"""What the station does with the enclosure controller: every event it tells is logged
(with the controller's own number), what needs the poll worker stays on their screen, the
lights follow the polls (the protocol's lines of it: tally/enclosure_lines.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from terminal.hal import enclosure as hal
from terminal.hal.enclosure_protocol import ControllerEvent
from terminal.tally.event_log import EventLog

REFUSAL_RECORD_S = 10.0  # at most one refusal record per side and reason this often

_LOGGED = {
    ControllerEvent.SEAL_OPENED: "enclosure_seal_opened",
    ControllerEvent.SEAL_CLOSED: "enclosure_seal_closed",
    ControllerEvent.LID_OPENED: "enclosure_lid_opened",
    ControllerEvent.LID_CLOSED: "enclosure_lid_closed",
    ControllerEvent.JAM: "enclosure_jam",
    ControllerEvent.JAM_CLEARED: "enclosure_jam_cleared",
    ControllerEvent.STATE_DAMAGED: "enclosure_state_damaged",
}
_RESETS = {1: "power_on", 2: "watchdog"}
_SWITCHES = {1: "seal", 2: "lid"}


def last_counter(log: EventLog) -> int:
    """The controller's last event number in the log (0: none yet)."""
    for event in reversed(log.events):
        if (
            "counter" in event.data
            and event.kind.startswith("enclosure_")
            and (event.kind != "enclosure_connected")
        ):
            return int(event.data["counter"])
        if event.kind == "enclosure_counter_back":
            return int(event.data["reported"])
        if event.kind == "enclosure_events_missing":
            return int(event.data["last"])
    return 0


@dataclass
class EnclosureWatch:
    enclosure: hal.Enclosure
    log: EventLog
    authoritative_seal: bool  # the controller's seal switch is the one shown as the seal
    connected: bool = False
    tampered: bool = False  # opened while off, or the controller's counter went back
    jammed: bool = False
    _refusals: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)

    @property
    def seal_open(self) -> bool:
        status = self.enclosure.status
        return status is not None and not status.seal_closed

    @property
    def lid_open(self) -> bool:
        status = self.enclosure.status
        return status is not None and not status.lid_closed

    def check(self, polls_open: bool, now: float) -> bool:
        """Poll the controller and log what it told; True when the screen should change."""
        before = self._shown()
        for notice in self.enclosure.poll():
            self._log(notice, now)
        self._flush_refusals(now)
        status = self.enclosure.status
        if status is not None:
            self.jammed = status.jammed
        attention = self.seal_open or self.lid_open or self.tampered
        self.enclosure.set_lights(
            hal.Lights(
                polls_open=polls_open,
                attention=attention,
                fault=self.jammed,
                alarm=polls_open and self.seal_open,
            )
        )
        return self._shown() != before

    def _shown(self) -> tuple[bool, ...]:
        return (self.connected, self.seal_open, self.lid_open, self.tampered, self.jammed)

    def _log(self, notice: hal.Notice, now: float) -> None:
        log = self.log
        if isinstance(notice, hal.Connected):
            self.connected = True
            log.append("enclosure_connected", boots=notice.boots, counter=notice.counter)
        elif isinstance(notice, hal.Lost):
            self.connected = False
            log.append("enclosure_lost")
        elif isinstance(notice, hal.Gap):
            log.append("enclosure_events_missing", first=notice.first, last=notice.last)
            self.enclosure.acknowledge(notice.last)
        elif isinstance(notice, hal.CounterBack):
            self.tampered = True
            log.append("enclosure_counter_back", logged=notice.logged, reported=notice.reported)
        elif isinstance(notice, hal.Refused):
            self._refused(notice, now)
        else:
            self._event(notice)
            self.enclosure.acknowledge(notice.counter)

    def _event(self, event: hal.Event) -> None:
        log, kind, counter = self.log, event.kind, event.counter
        if kind is ControllerEvent.BOOT:
            log.append("enclosure_boot", counter=counter, reset=_RESETS.get(event.value, "other"))
        elif kind in (ControllerEvent.SLIP, ControllerEvent.SLIP_WHILE_OFF):
            name = "enclosure_slip" if kind is ControllerEvent.SLIP else "enclosure_slip_while_off"
            log.append(name, counter=counter, total=event.value)
        elif kind is ControllerEvent.TAMPER_WHILE_OFF:
            self.tampered = True
            switch = _SWITCHES.get(event.value, "unknown")
            log.append("enclosure_tamper_while_off", counter=counter, switch=switch)
        else:
            log.append(_LOGGED[kind], counter=counter)

    def _refused(self, refused: hal.Refused, now: float) -> None:
        key = (refused.side, refused.reason.value)
        last, pending = self._refusals.get(key, (now - 2 * REFUSAL_RECORD_S, 0))
        self._refusals[key] = (last, pending + refused.count)
        self._flush_refusals(now)

    def _flush_refusals(self, now: float) -> None:
        for (side, reason), (last, pending) in self._refusals.items():
            if pending and now - last >= REFUSAL_RECORD_S:
                self.log.append("enclosure_frame_refused", side=side, reason=reason, count=pending)
                self._refusals[(side, reason)] = (now, 0)
