"""The screens the station can show, by name (the screen builders are in pages/)."""

from __future__ import annotations

from enum import Enum


class View(Enum):
    """Every screen the station can show; the value is the screen's name."""

    READY = "ready"
    CHAIR_PIN = "chair_pin"
    IDLE = "idle"
    VOTER_FOUND = "voter_found"
    REISSUE_OFFER = "reissue_offer"
    REFUSED = "refused"
    OTHER_TERMINAL = "other_terminal"  # the voter is on another terminal's part of the register
    WRONG_BOOTH = "wrong_booth"  # the coupon is for another booth
    LANGUAGE = "language"
    BALLOT = "ballot"
    REVIEW = "review"
    RECEIPT = "receipt"  # the receipt is printed: cast the ballot or challenge it
    CHALLENGED = "challenged"  # a challenged ballot was spoiled and printed: vote again
    CAST = "cast"
    COUPON = "coupon"
    PRINTER_PROBLEM = "printer_problem"
    CLOSE_CONFIRM = "close_confirm"
    SHARES = "shares"
    COUNTED = "counted"
    RECOVERED = "recovered"
    IDLE_WARNING = "idle_warning"  # the voter has not touched the screen for a while
    TIMED_OUT = "timed_out"  # the ballot went back to the poll worker, void
