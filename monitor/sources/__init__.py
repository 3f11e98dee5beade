"""Sources: reading prediction logs (and references) from SQL databases."""
