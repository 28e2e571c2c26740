"""Keys, signed artifacts, key-share cards and the chair credential."""
