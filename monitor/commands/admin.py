"""`drifthound db upgrade`, `drifthound config check`, `drifthound demo`."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import structlog
from sqlalchemy.exc import SQLAlchemyError

from monitor import redaction
from monitor.commands.context import load
from monitor.commands.load import load_line
from monitor.config import Config
from monitor.errors import DriftHoundError
from monitor.redaction import safe_url
from monitor.store import Store
from monitor.store.migrate import current_revision, head_revision, upgrade
from monitor.times import format_duration, utc_now
from monitor.windows import Schedule, latest_complete_window

log = structlog.get_logger("drifthound.cli")


def db_upgrade(config_file: str | None, *, out: TextIO = sys.stdout) -> int:
    config, _ = load(config_file)
    store = Store(config.service.store_url)
    try:
        before, after = upgrade(store.engine)
    except SQLAlchemyError as error:
        raise DriftHoundError(
            redaction.redact(
                f"store {safe_url(store.url)}: upgrade failed: {error.__class__.__name__}: {str(error).splitlines()[0]}"
            )
        ) from None
    if before == after:
        print(f"store {safe_url(store.url)}: already at the newest schema ({after})", file=out)
    else:
        print(f"store {safe_url(store.url)}: upgraded from {before or 'empty'} to {after}", file=out)
    return 0


def config_check(config_file: str | None, *, out: TextIO = sys.stdout) -> int:
    """Validates the file (exit 2 if wrong), then tests every connection (exit 1 if one fails)."""
    config, path = load(config_file)
    print(
        f"{path}: valid; {len(config.monitors)} monitors, {len(config.sources)} sources, "
        f"{len(config.channels)} channels",
        file=out,
    )
    problems = 0
    problems += _check_store(config, out)
    problems += _check_tls(config, out)
    for monitor in config.monitors:
        problems += _check_monitor(config, monitor, out)
    for name, channel in config.channels.items():
        problems += _check_channel(name, channel, out)
    for warning in link_warnings(config):
        print(redaction.redact(f"  WARN  {warning}"), file=out)
    print(load_line(config, utc_now()), file=out)
    if problems:
        print(f"{problems} check{'s' if problems > 1 else ''} failed", file=out)
    return 1 if problems else 0


# Channels whose messages carry report links people click.
LINKING_CHANNELS = ("slack", "webhook")


def link_warnings(config: Config) -> list[str]:
    """What is valid but will mislead: report links to the listen address, which only this host can open."""
    linking = sorted(name for name, channel in config.channels.items() if channel.type in LINKING_CHANNELS)
    if not linking or config.service.public_url:
        return []
    names = ", ".join(f'"{name}"' for name in linking)
    return [
        f"[service] public_url is not set: report links sent through {names} point at "
        f"{config.service.base_url}, which other machines cannot open; set it to the address people reach "
        "the daemon at"
    ]


def _check_store(config: Config, out: TextIO) -> int:
    store = Store(config.service.store_url)
    try:
        store.ping()
        current = current_revision(store.engine)
    except SQLAlchemyError as error:
        return _fail(out, f"store {safe_url(store.url)}", _db_error(error))
    finally:
        store.dispose()
    head = head_revision()
    state = (
        "schema up to date"
        if current == head
        else "empty: created on first use"
        if current is None
        else f"schema {current}, needs {head}: run `drifthound db upgrade`"
    )
    print(f"  ok    store {safe_url(store.url)} ({state})", file=out)
    return 0


def _check_tls(config: Config, out: TextIO) -> int:
    from monitor.web.tls import server_context

    service = config.service
    if not service.tls:
        return 0
    try:
        server_context(service.tls_cert_file, service.tls_key_file)
    except DriftHoundError as error:
        return _fail(out, "TLS", str(error))
    print(f"  ok    TLS: {service.tls_cert_file} and {service.tls_key_file} load; the listener speaks HTTPS", file=out)
    return 0


def _check_monitor(config: Config, monitor, out: TextIO) -> int:
    from monitor.sources.inputs import MonitorInputs

    label = f'monitor "{monitor.name}" (source "{monitor.source}", {safe_url(config.sources[monitor.source].url)})'
    try:
        inputs = MonitorInputs(monitor, config.sources[monitor.source].url)
        roles = inputs.roles()
        readings = inputs.readings()
        window = latest_complete_window(Schedule(monitor.schedule, monitor.every), monitor.window, utc_now())
        rows = inputs.source.count(window)
    except DriftHoundError as error:
        return _fail(out, label, str(error))
    except SQLAlchemyError as error:
        return _fail(out, label, _db_error(error))
    kinds = [
        f"{len(roles.numerical)} numerical",
        f"{len(roles.categorical)} categorical",
        *([f"{len(roles.text)} text"] if roles.text else []),
        *([f"{len(roles.embeddings)} embedding"] if roles.embeddings else []),
    ]
    print(
        f"  ok    {label}: {', '.join(kinds[:-1])} and {kinds[-1]} features; "
        f"{rows} rows in the latest {format_duration(monitor.window)} window",
        file=out,
    )
    for reading in readings:
        print(f"          {reading.line}", file=out)
    for reading in readings:
        if reading.warning is not None:
            print(f'  WARN  monitor "{monitor.name}": {reading.warning}', file=out)
    _warn_of_cycles(monitor, inputs, window, out)
    return 0


def _warn_of_cycles(monitor, inputs, window, out: TextIO) -> None:
    """A warning, never a failure: the check is an estimate on a sample of the reference."""
    from monitor.evaluation.cycle_check import cycle_warning

    try:
        warning = cycle_warning(monitor, inputs, window)
    except (DriftHoundError, SQLAlchemyError, ValueError) as error:
        log.info("config_check.cycles_unknown", monitor=monitor.name, reason=str(error).splitlines()[0])
        return
    if warning:
        print(redaction.redact(f'  WARN  monitor "{monitor.name}": {warning}'), file=out)


def _check_channel(name: str, channel, out: TextIO) -> int:
    """Reaches the channel's host without sending anything (`alerts test` sends a real message)."""
    url = getattr(channel, "webhook_url", None) or getattr(channel, "url", None)
    if url is None:
        print(f'  ok    channel "{name}" ({channel.type})', file=out)
        return 0
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _fail(out, f'channel "{name}" ({channel.type})', "the URL must be http:// or https:// with a host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=5):
            pass
    except OSError as error:
        return _fail(
            out,
            f'channel "{name}" ({channel.type})',
            f"cannot reach {parts.hostname}:{port} ({error.strerror or error})",
        )
    print(f'  ok    channel "{name}" ({channel.type}): {parts.hostname}:{port} reachable', file=out)
    return 0


def _fail(out: TextIO, what: str, why: str) -> int:
    print(redaction.redact(f"  FAIL  {what}: {why}"), file=out)
    return 1


def _db_error(error: SQLAlchemyError) -> str:
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip()
    return text.splitlines()[0] if text else error.__class__.__name__


def demo(directory: str, *, force: bool = False, out: TextIO = sys.stdout) -> int:
    from monitor.demo import SHIFTED, write_demo

    data = write_demo(Path(directory), now=utc_now(), force=force)
    print(f"wrote {data.rows:,} predictions to {data.database}", file=out)
    print(
        f"  from {data.start:%Y-%m-%d %H:%M} to {data.end:%Y-%m-%d %H:%M} UTC; from {data.drift_start:%Y-%m-%d %H:%M}"
        f" {', '.join(SHIFTED)} shift and the model's estimated quality falls (outcomes arrive a day late)",
        file=out,
    )
    print(f"wrote {data.config}", file=out)
    print(f"next: drifthound check -c {data.config}", file=out)
    return 0
