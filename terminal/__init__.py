"""Tamga terminal: the software that runs on the voter-identification and voting terminal."""
