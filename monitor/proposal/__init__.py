"""`drifthound init`: a monitor proposed from a sample of a table, as pure decisions on what was read (the
reading is in commands/init.py)."""
