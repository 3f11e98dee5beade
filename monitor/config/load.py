"""Reading config.toml: TOML -> `${ENV}` -> unknown keys -> typed objects -> cross references."""

from __future__ import annotations

import difflib
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from monitor import redaction
from monitor.config.interpolate import interpolate, key_path, referenced_values
from monitor.config.schema import CHANNEL_TYPES, AlertmanagerChannel, Config, SlackChannel, WebhookChannel
from monitor.errors import ConfigError

CONFIG_ENV = "DRIFTHOUND_CONFIG"
# Keys whose values may be secrets though written in the file: an error never quotes what they hold.
_SECRET_KEYS = frozenset({"store_url", "http_token", "token", "url", "webhook_url", "secret", "headers"})


def config_path(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str] | None = None) -> Path:
    """`-c FILE`, else `$DRIFTHOUND_CONFIG`, else ./config.toml."""
    env = os.environ if environ is None else environ
    return Path(explicit or env.get(CONFIG_ENV) or "config.toml")


def load_config(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Config:
    file = Path(path)
    where = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            where, "no such file; pass -c FILE, set DRIFTHOUND_CONFIG, or write a demo with `drifthound demo`"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(where, f"cannot read it ({error.__class__.__name__}: {error})") from None
    return parse_config(text, where=where, base_dir=file.resolve().parent, environ=environ)


def parse_config(
    text: str, *, where: str = "config.toml", base_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    secrets = referenced_values(text, environ)
    try:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(where, f"not valid TOML: {error}") from None
        _check_keys(raw, Config, (), where, raw)
        data = interpolate(raw, environ, where)
        try:
            config = Config.model_validate(data)
        except ValidationError as error:
            raise ConfigError(where, _first_problem(error, data)) from None
        _check_references(config, where)
        _check_failed_runs_channels(config, where)
    except ConfigError as error:
        raise ConfigError(_shown(error.where, secrets), _shown(error.message, secrets)) from None
    _register_secrets(config)
    return _resolve_paths(config, base_dir or Path.cwd())


def _shown(text: str, secrets: set[str]) -> str:
    """An error as it may be shown: on one line (a quoted key may hold a newline: it is escaped) and never
    quoting a value that came from the environment."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _check_keys(data: Any, model: type[BaseModel], path: tuple[str | int, ...], where: str, root: Any) -> None:
    """Unknown keys are errors, named with a suggestion (pydantic would only say "extra")."""
    if not isinstance(data, dict):
        return
    fields = model.model_fields
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f'; did you mean "{close[0]}"?' if close else f"; allowed here: {', '.join(fields)}"
            raise ConfigError(f"{where}: {_describe((*path, key), root)}", f'unknown key "{key}"{hint}')
    for name, field in fields.items():
        if name in data:
            _check_value(data[name], field.annotation, (*path, name), where, root)


def _check_value(value: Any, annotation: Any, path: tuple[str | int, ...], where: str, root: Any) -> None:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        _check_value(value, args[0], path, where, root)
    elif origin in (typing.Union, types.UnionType):
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(models) == 1:
            _check_value(value, models[0], path, where, root)
        elif models and isinstance(value, dict):
            for model in models:
                literal = typing.get_args(model.model_fields["type"].annotation)
                if value.get("type") in literal:
                    _check_keys(value, model, path, where, root)
        else:
            for arg in args:
                if typing.get_origin(arg) is not None:
                    _check_value(value, arg, path, where, root)
    elif origin is dict and isinstance(value, dict):
        for key, item in value.items():
            _check_value(item, args[1], (*path, key), where, root)
    elif origin in (tuple, list) and isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, args[0], (*path, index), where, root)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        _check_keys(value, annotation, path, where, root)


def _describe(loc: tuple[Any, ...], data: Any) -> str:
    """monitors[0] (monitor "credit-scoring").window: the index, and the name a person knows it by."""
    if data is not None and len(loc) >= 2 and loc[0] == "monitors" and isinstance(loc[1], int):
        try:
            name = data["monitors"][loc[1]].get("name")
        except (KeyError, IndexError, TypeError, AttributeError):
            name = None
        if isinstance(name, str):
            head = f'monitors[{loc[1]}] (monitor "{name}")'
            rest = key_path(tuple(loc[2:]))
            return f"{head}.{rest}" if rest else head
    return key_path(tuple(loc))


def _first_problem(error: ValidationError, data: Any) -> str:
    problems = error.errors(include_url=False)
    first = problems[0]
    loc = tuple(
        part
        for part in first["loc"]
        if not (
            isinstance(part, str) and part in CHANNEL_TYPES and len(first["loc"]) > 2 and first["loc"][0] == "channels"
        )
    )
    kind = first["type"]
    message = str(first["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        message = "required key is missing"
    elif kind == "union_tag_not_found" or kind == "union_tag_invalid":
        message = f"needs type = one of {', '.join(CHANNEL_TYPES)}"
    elif message.startswith("Input should be"):
        message = message.replace("Input should be", "should be", 1)
        if not _SECRET_KEYS.intersection(str(part) for part in loc):
            message += f" (got {first.get('input')!r})"
    more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
    location = _describe(loc, data)
    return f"{location}: {message}{more}" if location else f"{message}{more}"


def _check_references(config: Config, where: str) -> None:
    seen: set[str] = set()
    for index, monitor in enumerate(config.monitors):
        at = f'{where}: monitors[{index}] (monitor "{monitor.name}")'
        if monitor.name in seen:
            raise ConfigError(f"{at}.name", f'two monitors are named "{monitor.name}"; names must be unique')
        seen.add(monitor.name)
        if monitor.source not in config.sources:
            known = ", ".join(config.sources) or "none"
            raise ConfigError(
                f"{at}.source",
                f'no source named "{monitor.source}" (defined: {known}); add [sources.{monitor.source}] with a url',
            )
        for rule_index, rule in enumerate(monitor.rules):
            for channel in rule.channels:
                if channel not in config.channels:
                    known = ", ".join(config.channels) or "none"
                    raise ConfigError(
                        f"{at}.rules[{rule_index}].channels",
                        f'no channel named "{channel}" (defined: {known}); add [channels.{channel}] with a type',
                    )


def _check_failed_runs_channels(config: Config, where: str) -> None:
    for channel in config.alerting.failed_runs_channels or ():
        if channel not in config.channels:
            known = ", ".join(config.channels) or "none"
            raise ConfigError(
                f"{where}: alerting.failed_runs_channels",
                f'no channel named "{channel}" (defined: {known}); add [channels.{channel}] with a type',
            )


def _register_secrets(config: Config) -> None:
    redaction.register(config.service.http_token)
    for entry in config.service.tokens.values():
        redaction.register(entry.token)
    redaction.register_url_password(config.service.store_url)
    for source in config.sources.values():
        redaction.register_url_password(source.url)
    for channel in config.channels.values():
        if isinstance(channel, SlackChannel):
            # All of a Slack webhook URL is the secret; a receiver quoting the request line shows its path.
            redaction.register(channel.webhook_url)
            redaction.register_url_credentials(channel.webhook_url, secret_path=True)
        elif isinstance(channel, WebhookChannel):
            redaction.register_url_credentials(channel.url)
            redaction.register(channel.secret)
            for value in channel.headers.values():
                redaction.register_header_value(value)
        elif isinstance(channel, AlertmanagerChannel):
            redaction.register_url_credentials(channel.url)


def resolve_sqlite_url(url: str, base_dir: Path) -> str:
    """Relative SQLite paths are relative to the config file, not to wherever the process started."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url
    database = parsed.database
    if not parsed.drivername.startswith("sqlite") or not database or database == ":memory:":
        return url
    if database.startswith("file:") or Path(database).is_absolute():
        return url
    return parsed.set(database=str((base_dir / database).resolve())).render_as_string(hide_password=False)


def _under(base_dir: Path, path: Path | None) -> Path | None:
    return None if path is None else (base_dir / path).resolve()


def _resolve_paths(config: Config, base_dir: Path) -> Config:
    service = config.service.model_copy(
        update={
            "store_url": resolve_sqlite_url(config.service.store_url, base_dir),
            "reports_dir": (base_dir / config.service.reports_dir).resolve(),
            "tls_cert_file": _under(base_dir, config.service.tls_cert_file),
            "tls_key_file": _under(base_dir, config.service.tls_key_file),
            "reference_cache_dir": _under(base_dir, config.service.reference_cache_dir),
        }
    )
    sources = {
        name: source.model_copy(update={"url": resolve_sqlite_url(source.url, base_dir)})
        for name, source in config.sources.items()
    }
    return config.model_copy(update={"service": service, "sources": sources})
