"""The terminal application: polls states, screens, printouts and the main loop."""
