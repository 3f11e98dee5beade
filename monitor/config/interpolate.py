"""`${ENV_VAR}` substitution over the raw TOML data, before validation."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from monitor import redaction
from monitor.errors import ConfigError

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def key_path(parts: tuple[str | int, ...]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def interpolate(data: Any, environ: Mapping[str, str] | None = None, where: str = "") -> Any:
    """Returns a copy of `data` with every `${NAME}` replaced from the environment.

    Each substituted value is registered as a secret. `$${` stays a literal `${`.
    """
    env = os.environ if environ is None else environ
    return _walk(data, env, (), where)


def _walk(value: Any, env: Mapping[str, str], path: tuple[str | int, ...], where: str) -> Any:
    if isinstance(value, dict):
        return {key: _walk(item, env, (*path, key), where) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, env, (*path, index), where) for index, item in enumerate(value)]
    if isinstance(value, str):
        return _substitute(value, env, path, where)
    return value


def _substitute(text: str, env: Mapping[str, str], path: tuple[str | int, ...], where: str) -> str:
    if "${" not in text:
        return text
    pieces = text.split("$${")
    out = []
    for piece in pieces:
        out.append(_REFERENCE.sub(lambda match: _lookup(match.group(1), env, path, where), piece))
    return "${".join(out)


def _lookup(name: str, env: Mapping[str, str], path: tuple[str | int, ...], where: str) -> str:
    location = f"{where}: {key_path(path)}" if where else key_path(path)
    if not _NAME.match(name):
        raise ConfigError(
            location,
            f'"${{{name}}}" is not a valid environment variable reference; '
            "use ${NAME} with letters, digits and underscores",
        )
    value = env.get(name)
    if value is None:
        raise ConfigError(
            location,
            f"environment variable {name} is not set; export it, or add it to "
            "the service's environment file (deploy/drifthound.env)",
        )
    if value == "":
        raise ConfigError(location, f"environment variable {name} is empty; give it a value")
    redaction.register(value)
    return value


def referenced_values(text: str, environ: Mapping[str, str] | None = None) -> set[str]:
    """The values of every `${VAR}` the config text names: secrets, to keep out of its error messages."""
    env = os.environ if environ is None else environ
    return {env[name] for name in _REFERENCE.findall(text) if env.get(name)}
