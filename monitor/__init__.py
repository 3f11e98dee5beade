"""DriftHound's daemon side: configuration, sources, windows, evaluation, store, reports, CLI."""

__version__ = "0.1.0"
