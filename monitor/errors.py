"""The errors DriftHound reports to people, each with an exit code."""

from __future__ import annotations


class DriftHoundError(Exception):
    """An error meant for a person: one line, what/where/what to do."""

    exit_code = 1


class ConfigError(DriftHoundError):
    """The configuration (or the command line) is wrong; exit 2."""

    exit_code = 2

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


class UsageError(DriftHoundError):
    exit_code = 2


class RunError(DriftHoundError):
    """One run of one monitor failed; the others carry on."""

    exit_code = 1


class SourceError(RunError):
    """The prediction log could not be read as configured."""


class DataError(RunError):
    """The data read does not fit the configuration (wrong type, missing column)."""
