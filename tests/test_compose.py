"""docker-compose.yml, checked with a real Compose implementation and for the structure sohoa relies on.

No Docker engine is needed: ``config`` parses, interpolates and validates the file. The Makefile's ``system``
target installs Debian's ``docker-compose``; Docker's own ``docker compose`` plugin is used when present.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
ONE_SHOT = {"minio-init"}  # runs once and exits: services wait for its completion, not its health
SERVICES = {"minio", "minio-init", "postgres", "redis", "api", "worker", "beat", "flower"}


def compose_command() -> list[str]:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip("no Compose implementation: `make system` installs Debian's docker-compose")


def compose_config(env_file: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOHOA_", "POSTGRES_", "MINIO_", "REDIS_", "FLOWER_"))}
    return subprocess.run([*compose_command(), "-f", str(COMPOSE), "--env-file", str(env_file), "config"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def example_env(tmp_path: Path, drop: str | None = None) -> Path:
    lines = [ln for ln in (ROOT / ".env.example").read_text().splitlines() if not (drop and ln.startswith(drop + "="))]
    path = tmp_path / "env"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    r = compose_config(example_env(tmp_path_factory.mktemp("compose")))
    assert r.returncode == 0, r.stderr
    return yaml.safe_load(r.stdout)


def test_compose_accepts_the_file_with_the_example_env(resolved):
    assert set(resolved["services"]) == SERVICES
    api = resolved["services"]["api"]["environment"]
    assert api["SOHOA_BROKER_URL"].startswith("redis://:") and api["SOHOA_LOG_FORMAT"] == "json"
    assert api["SOHOA_METRICS_DIR"] == resolved["services"]["worker"]["environment"]["SOHOA_METRICS_DIR"]


def test_every_long_running_service_has_a_health_check(resolved):
    for name, svc in resolved["services"].items():
        if name in ONE_SHOT:
            assert svc.get("restart") == "no", name
            continue
        test = (svc.get("healthcheck") or {}).get("test")
        assert test and not (svc["healthcheck"].get("disable")), f"{name} has no health check"


def test_the_worker_can_scale(resolved):
    worker = resolved["services"]["worker"]
    assert "container_name" not in worker and not worker.get("ports"), "a fixed name or port stops --scale worker=N"
    assert worker["command"] == ["sohoa", "worker"]
    beat = resolved["services"]["beat"]
    assert "beat" in beat["command"] and "worker" not in beat["command"]


def test_volumes_are_named_and_declared(resolved):
    declared = set(resolved.get("volumes") or {})
    used = set()
    for name, svc in resolved["services"].items():
        for v in svc.get("volumes") or []:
            source = v["source"] if isinstance(v, dict) else v.split(":")[0]
            kind = v.get("type") if isinstance(v, dict) else ("bind" if source.startswith((".", "/")) else "volume")
            if kind == "volume":
                used.add(source)
            else:
                ro = v.get("read_only", False) if isinstance(v, dict) else v.endswith(":ro")
                assert ro, f"{name}: a bind mount must be read-only ({v})"
    assert used and used <= declared and {"pg-data", "minio-data", "redis-data", "metrics"} <= used


def test_no_secret_is_written_in_the_file():
    raw = yaml.safe_load(COMPOSE.read_text())
    secretish = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|BASIC_AUTH|DATABASE_URL|BROKER_URL")

    def envs(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "environment" and isinstance(v, dict):
                    yield from v.items()
                else:
                    yield from envs(v)
        elif isinstance(node, list):
            for x in node:
                yield from envs(x)

    checked = 0
    for key, value in envs(raw):
        if secretish.search(key) and "ACCESS_KEY" not in key:
            checked += 1
            assert isinstance(value, str) and "${" in value, f"{key} holds a literal"
            literal = re.sub(r"\$\{[^}]*\}", "", value)  # what is left once the variables are taken out
            if "://" in literal:  # a URL: its password part must come from a variable
                assert not re.search(r"://[^/:@]*:[^@/]+@", literal), f"{key}: a password written in {value}"
            else:
                assert literal == "", f"{key}: {value}"
    assert checked >= 8
    assert "change-me" not in COMPOSE.read_text()


def test_a_missing_secret_stops_compose_with_its_name(tmp_path):
    r = compose_config(example_env(tmp_path, drop="POSTGRES_PASSWORD"))
    assert r.returncode != 0 and "POSTGRES_PASSWORD" in r.stderr


def test_env_example_names_every_variable_the_file_reads():
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE.read_text()))
    example = (ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", example, re.M))
    assert used - named == set(), "variables docker-compose.yml reads that .env.example does not mention"


def test_an_empty_optional_path_from_compose_means_none(monkeypatch):
    """compose passes ``SOHOA_SIGNING_KEYRING=`` when .env leaves it unset: signing off, not a keyring at ``.``."""
    from ingest.settings import Settings

    for var in ("SOHOA_SIGNING_KEYRING", "SOHOA_TRUST_ANCHORS", "SOHOA_METRICS_DIR"):
        monkeypatch.setenv(var, "")
    s = Settings()
    assert s.signing_keyring is None and s.trust_anchors is None and s.metrics_dir is None
