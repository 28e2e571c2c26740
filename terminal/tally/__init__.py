"""Sealed ballot box, event log, counting, results protocol and bundle."""
