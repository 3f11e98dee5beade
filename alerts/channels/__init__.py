"""Channels: where notifications go. Each renders a Notification and answers how the send went."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alerts.channels.base import Channel
from alerts.channels.http import AlertmanagerChannel, SlackChannel, WebhookChannel
from alerts.channels.log import LogChannel


def build_channels(configs: Mapping[str, Any]) -> dict[str, Channel]:
    """Channels from the [channels.*] configuration (already validated)."""
    channels: dict[str, Channel] = {}
    for name, config in configs.items():
        if config.type == "slack":
            channels[name] = SlackChannel(name, config.webhook_url, timeout=config.timeout.total_seconds())
        elif config.type == "webhook":
            channels[name] = WebhookChannel(
                name, config.url, secret=config.secret, headers=config.headers, timeout=config.timeout.total_seconds()
            )
        elif config.type == "alertmanager":
            channels[name] = AlertmanagerChannel(name, config.url, timeout=config.timeout.total_seconds())
        else:
            channels[name] = LogChannel(name)
    return channels


__all__ = ["Channel", "build_channels"]
