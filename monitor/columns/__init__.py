"""Columns: which part each column plays (roles), how that is found from the table (inference), and the kinds
of feature columns (kinds/): how each is detected, prepared and judged."""
