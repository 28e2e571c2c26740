"""Simulated peripherals, synthetic elections and the polling-day runner."""
