"""Alembic environment and versions for DriftHound's store (shipped in the package)."""
