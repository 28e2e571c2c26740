"""For auditors: the report of a collected election (`report`)."""
