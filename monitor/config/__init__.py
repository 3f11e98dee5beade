"""Configuration: config.toml validated into frozen, typed objects."""

from monitor.config.load import config_path, load_config, parse_config
from monitor.config.schema import (
    AlertingConfig,
    Config,
    MonitorConfig,
    ReferenceConfig,
    RuleConfig,
    ServiceConfig,
    SourceConfig,
)

__all__ = [
    "AlertingConfig",
    "Config",
    "MonitorConfig",
    "ReferenceConfig",
    "RuleConfig",
    "ServiceConfig",
    "SourceConfig",
    "config_path",
    "load_config",
    "parse_config",
]
