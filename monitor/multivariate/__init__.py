"""Multivariate drift: whether the columns still move together, beyond what each column's own drift shows."""
