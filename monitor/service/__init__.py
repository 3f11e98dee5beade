"""The daemon: scheduling, the evaluation pool, metrics, systemd, housekeeping; it starts the web side (monitor.web)."""
