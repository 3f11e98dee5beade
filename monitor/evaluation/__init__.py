"""Evaluation: prepared frames -> Evidently reports -> flat metric rows."""
