"""Hardware abstraction: interfaces, real drivers and simulated devices.

Knows nothing of elections.
"""
