"""``sohoa doctor``: a good embedded installation passes; each broken part fails with the hint that fixes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from ingest import doctor
from ingest.runtime import Runtime
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def by_name(checks) -> dict[str, doctor.Check]:
    return {c.name: c for c in checks}


def sohoa_doctor(env: dict, *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    return subprocess.run([sys.executable, "-m", "api.cli", "doctor", *args], capture_output=True, text=True, timeout=120,
                          env={**clean, "PYTHONPATH": str(ROOT), **env}, cwd=ROOT)


def test_a_good_embedded_installation_passes(tmp_path):
    settings = Settings(data_dir=tmp_path / "var")
    Runtime(settings).catalog.dispose()  # made and migrated, as at the first start
    checks = by_name(doctor.run(settings))
    assert not doctor.failed(checks.values()), [c for c in checks.values() if c.status != "ok"]
    assert checks["catalog"].status == "ok" and "schema at" in checks["catalog"].detail
    assert checks["broker"].status == "ok" and "embedded" in checks["broker"].detail
    assert checks["tesseract"].status == "ok" and "vie" in checks["tesseract"].detail
    r = sohoa_doctor({"SOHOA_DATA_DIR": str(tmp_path / "var")}, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["ok"] is True


def test_a_missing_keyring_and_an_unreachable_broker_fail_with_their_hints(tmp_path):
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_SIGNING_KEYRING": str(tmp_path / "nowhere" / "keyring.toml"),
           "SOHOA_BROKER_URL": "redis://:secret-pw@127.0.0.1:1/0", "SOHOA_SIGNATURE_LEVEL": "B-B"}
    r = sohoa_doctor(env, "--json")
    assert r.returncode == 1
    report = json.loads(r.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["signing_keyring"]["status"] == "fail" and "does not exist" in checks["signing_keyring"]["hint"]
    assert checks["signing_keys"]["status"] == "fail" and "SOHOA_SIGNING_KEYRING" in checks["signing_keys"]["hint"]
    assert checks["broker"]["status"] == "fail" and "start Redis" in checks["broker"]["hint"]
    assert "secret-pw" not in r.stdout  # the broker's password is never printed
    table = sohoa_doctor(env)  # the same as a table a person reads
    assert table.returncode == 1 and "start Redis" in table.stdout and "fail" in table.stdout


def test_settings_that_do_not_parse_fail_alone(tmp_path):
    r = sohoa_doctor({"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_PORT": "eighty"}, "--json")
    assert r.returncode == 1
    (only,) = json.loads(r.stdout)["checks"]
    assert only["name"] == "settings" and only["status"] == "fail" and "port" in only["detail"].lower()


def test_only_runs_the_checks_named_and_refuses_a_name_it_does_not_know(tmp_path):
    r = sohoa_doctor({"SOHOA_DATA_DIR": str(tmp_path / "var")}, "--json", "--only", "broker,tools")
    assert r.returncode == 0 and {c["name"] for c in json.loads(r.stdout)["checks"]} == {"broker", "pdftoppm", "qpdf"}
    r = sohoa_doctor({"SOHOA_DATA_DIR": str(tmp_path / "var")}, "--only", "brokr")
    assert r.returncode == 2 and "no check named brokr" in r.stderr


def test_a_catalogue_behind_the_code_fails(tmp_path):
    settings = Settings(data_dir=tmp_path / "var")
    rt = Runtime(settings)
    with rt.catalog.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    rt.close()
    check = by_name(doctor.run(settings, only={"catalog"}))["catalog"]
    assert check.status == "fail" and "schema at 0001" in check.detail and "migrate" in check.hint


def test_signing_keys_each_open_and_their_certificates_are_dated(srt, tmp_path):
    checks = by_name(doctor.run(srt.settings, only={"signing_keys", "trust_anchors", "timestamp_authority"}))
    assert checks["signer chu-tich"].status == "ok" and "certificate valid" in checks["signer chu-tich"].detail
    assert checks["signer expired"].status == "fail" and "renew the certificate" in checks["signer expired"].hint
    assert checks["trust_anchors"].status == "ok" and checks["timestamp_authority"].status == "ok"
    soon = by_name(doctor.run(srt.settings, only={"signing_keys"}, expiry_days=100_000))["signer chu-tich"]
    assert soon.status == "warn" and "expires in" in soon.detail


def test_a_token_that_is_not_there_fails_with_a_hint(tmp_path):
    ring = tmp_path / "keyring.toml"
    ring.write_text('[signers.van-thu]\nrole = "agency"\npkcs11_module = "/usr/lib/nowhere/libtoken.so"\n'
                    'token_label = "sohoa"\nkey_label = "agency"\npin_env = "SOHOA_TEST_NO_PIN"\n', encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "var", signing_keyring=ring)
    check = by_name(doctor.run(settings, only={"signing_keys"}))["signer van-thu"]
    assert check.status == "fail" and "PKCS#11 module" in check.detail and "driver" in check.hint
