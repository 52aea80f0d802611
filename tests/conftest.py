"""Shared fixtures: per-test embedded settings, real PostgreSQL / Redis, synthetic scans."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from ingest.runtime import Runtime  # noqa: E402
from ingest.settings import Settings  # noqa: E402

PG_ADMIN = os.environ.get("SOHOA_TEST_PG", "postgresql://postgres:postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SOHOA_TEST_REDIS", "redis://127.0.0.1:6379/13")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", jobs=2)


@pytest.fixture
def rt(settings: Settings):
    runtime = Runtime(settings)
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def pg_url():
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    yield from _pg_database()


@pytest.fixture
def pg_fresh_url():
    """A PostgreSQL database of this test's own, for tests that look at whole tables."""
    yield from _pg_database()


def _pg_database():
    import psycopg

    name = f"sohoa_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture
def redis_url():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


@pytest.fixture(scope="session")
def scans(tmp_path_factory) -> dict[str, Path]:
    """A few synthetic scans in every accepted format, generated once per session."""
    from bench.synthetic import generate_document, generate_page, write_scan

    d = tmp_path_factory.mktemp("scans")
    out = {}
    out["jpeg"] = write_scan([generate_page(11, tier="clean", kind="quyet_dinh")], d / "quyet-dinh.jpg")
    out["png"] = write_scan([generate_page(12, tier="office", kind="cong_van")], d / "cong-van.png")
    out["tiff"] = write_scan(generate_document(13, tier="office", pages=3), d / "ho-so.tif")
    out["pdf"] = write_scan(generate_document(14, tier="clean", pages=2), d / "ket-qua.pdf")
    out["blank"] = write_scan([generate_page(15, tier="office", kind="blank")], d / "blank.jpg")
    return out


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """The test PKI of bench/testpki (CAs, OCSP, CRLs, TSAs on 127.0.0.1), started once per session."""
    from bench.testpki import running_pki

    with running_pki(tmp_path_factory.mktemp("pki")) as running:
        yield running


@pytest.fixture(scope="session")
def soft_token(pki, tmp_path_factory):
    """A SoftHSM2 token holding the `agency` key and certificate; sets SOFTHSM2_CONF for this process."""
    from bench.testpki import softhsm_token

    return softhsm_token(pki, tmp_path_factory.mktemp("softhsm"))


@pytest.fixture
def srt(pki, tmp_path, monkeypatch):
    """A runtime configured for signing with the test PKI (keyring of bench/testpki/samples.py)."""
    from bench.testpki.samples import PASSPHRASE_ENV, write_keyring

    monkeypatch.setenv(PASSPHRASE_ENV, pki.passphrase.decode())
    ring = write_keyring(pki, tmp_path / "keys")
    s = Settings(data_dir=tmp_path / "var", signing_keyring=ring, trust_anchors=pki.trust_bundle, tsa_url=pki.tsa_url)
    runtime = Runtime(s)
    yield runtime
    runtime.close()
