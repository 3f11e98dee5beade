"""The daemon: scheduling, the evaluation pool, HTTP (health, metrics, reports), systemd, housekeeping."""
