"""deploy/compose.yaml against the files it mounts and the image it runs: what `docker compose up` would find
wrong only once started. (The image itself, and the compose config inside it, are exercised by .ci/image-test.)"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest
import yaml

from tests.e2e.stack import PROMTOOL, require

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def mounts(service: dict) -> dict[str, str]:
    """Target in the container -> source (a path relative to deploy/, or a named volume)."""
    return {volume.split(":")[1]: volume.split(":")[0] for volume in service.get("volumes", [])}


def containerfile_value(pattern: str) -> str:
    match = re.search(pattern, (ROOT / "Containerfile").read_text(), flags=re.MULTILINE)
    assert match, pattern
    return match.group(1)


def test_every_mounted_file_exists_and_every_volume_is_declared():
    spec = compose()
    for name, service in spec["services"].items():
        for target, source in mounts(service).items():
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), f"{name}: {source} (mounted at {target}) does not exist"
            else:
                assert source in spec["volumes"], f"{name}: volume {source} is not declared"


def test_drifthound_gets_its_config_and_volume_where_the_image_expects_them():
    image_config = containerfile_value(r"DRIFTHOUND_CONFIG=(\S+)")
    image_volume = containerfile_value(r'^VOLUME \["([^"]+)"\]')
    for name in ("drifthound", "demo"):
        service = compose()["services"][name]
        assert service["build"]["dockerfile"] == "Containerfile"
        assert mounts(service)[image_config] == "./compose/config.toml"
        assert mounts(service)[image_volume] == "drifthound"
    config = (DEPLOY / "compose" / "config.toml").read_text()
    assert 'http_listen = "0.0.0.0:9308"' in config  # the container's loopback is not reachable from outside
    assert "@postgres:5432/drifthound" in config  # the compose file's database service
    # The store's password comes from the environment, never from the file.
    assert "${DRIFTHOUND_STORE_PASSWORD}" in config
    assert "DRIFTHOUND_STORE_PASSWORD" in compose()["services"]["drifthound"]["environment"]


def test_grafana_finds_the_dashboard_where_its_provisioning_looks():
    grafana = mounts(compose()["services"]["grafana"])
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/drifthound.yml").read_text())
    folder = PurePosixPath(provider["providers"][0]["options"]["path"])
    dashboards = [target for target, source in grafana.items() if source.endswith(".json")]
    assert dashboards and all(PurePosixPath(target).parent == folder for target in dashboards), (dashboards, folder)


def test_promtool_accepts_the_compose_prometheus_config_with_the_rules_as_mounted(tmp_path):
    promtool = require(PROMTOOL, "prometheus")
    for target, source in mounts(compose()["services"]["prometheus"]).items():
        shutil.copy(DEPLOY / source, tmp_path / PurePosixPath(target).name)
    result = subprocess.run(
        [promtool, "check", "config", "prometheus.yml"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "drifthound-rules.yml" in result.stdout  # the rules were found and checked too
