"""Before election day: the definition, the election's creation, the key ceremony, terminal
registration, signing, the logic-and-accuracy deck and the calendar of deadlines.

Commands (commands.py): `election create|keys|sign|test-deck|calendar`, `terminals
register`, `lat`.
"""
