"""Results from the database: which precincts are in (`status`), totals per level and the
open datasets (`results`)."""
