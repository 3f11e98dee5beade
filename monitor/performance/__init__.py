"""Model quality: realized (with labels) and estimated (without), from prepared frames. Pure numerics."""
