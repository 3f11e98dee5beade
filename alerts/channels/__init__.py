"""Channels: where notifications go. Each renders a Notification and answers how the send went."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from alerts.channels.base import Channel
from alerts.channels.http import AlertmanagerChannel, SlackChannel, WebhookChannel
from alerts.channels.log import LogChannel


def build_channels(configs: Mapping[str, Any], repeat_interval: timedelta = timedelta(hours=4)) -> dict[str, Channel]:
    """Channels from the [channels.*] configuration (already validated).

    An alert pushed to Alertmanager stays valid for three repeat intervals (at least an hour):
    DriftHound re-posts it at every repeat while it fires, so it never lapses meanwhile.
    """
    channels: dict[str, Channel] = {}
    for name, config in configs.items():
        if config.type == "slack":
            channels[name] = SlackChannel(name, config.webhook_url, timeout=config.timeout.total_seconds())
        elif config.type == "webhook":
            channels[name] = WebhookChannel(
                name, config.url, secret=config.secret, headers=config.headers, timeout=config.timeout.total_seconds()
            )
        elif config.type == "alertmanager":
            channels[name] = AlertmanagerChannel(
                name,
                config.url,
                timeout=config.timeout.total_seconds(),
                validity=max(timedelta(hours=1), 3 * repeat_interval),
            )
        else:
            channels[name] = LogChannel(name)
    return channels


__all__ = ["Channel", "build_channels"]
