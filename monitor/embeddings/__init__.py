"""Embeddings: a column holding a vector (or columns forming one), parsed and judged as a whole."""
