"""Explanations: which features move the model, and what accounts for a quality drop."""
