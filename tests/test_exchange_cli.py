"""``sohoa exchange`` at the command line: the address book kept, listed and pruned; mistakes said plainly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SOHOA = [sys.executable, "-m", "api.cli", "exchange"]


def _run(args, data_dir, **env):
    full = {**os.environ, "SOHOA_DATA_DIR": str(data_dir), "SOHOA_AGENCY_ID": "000.00.00.H41", **env}
    return subprocess.run(SOHOA + args, capture_output=True, text=True, env=full, timeout=300)


def test_address_book_add_list_remove(pki, tmp_path):
    data = tmp_path / "var"
    pem = pki.cert_pem("agency")
    r = _run(["address-book", "add", "000.00.01.H41", "--endpoint", "https://sonv.example.gov.vn/",
              "--certificate", str(pem), "--name", "Sở Nội vụ"], data)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "000.00.01.H41: https://sonv.example.gov.vn" in r.stderr  # messages go to stderr, data to stdout
    listed = json.loads(_run(["address-book", "list", "--json"], data).stdout)
    assert [(e["id"], e["name"], e["endpoint"]) for e in listed] == [("000.00.01.H41", "Sở Nội vụ", "https://sonv.example.gov.vn")]
    assert _run(["address-book", "remove", "000.00.01.H41"], data).returncode == 0
    assert json.loads(_run(["address-book", "list", "--json"], data).stdout) == []
    assert len(json.loads(_run(["address-book", "list", "--json", "--all"], data).stdout)) == 1
    assert json.loads(_run(["inbox", "--json"], data).stdout) == []


def test_mistakes_are_refused_with_the_reason(pki, tmp_path):
    data = tmp_path / "var"
    r = _run(["address-book", "add", "not an id", "--endpoint", "https://x.example", "--certificate",
              str(pki.cert_pem("agency"))], data)
    assert r.returncode == 2 and "not an agency identifier" in r.stderr
    not_pem = tmp_path / "x.pem"
    not_pem.write_text("hello")
    r = _run(["address-book", "add", "000.00.01.H41", "--endpoint", "https://x.example", "--certificate", str(not_pem)], data)
    assert r.returncode == 2 and "not a certificate" in r.stderr
    r = _run(["status", "0" * 32, "03"], data)
    assert r.returncode == 1 and "SOHOA_EXCHANGE_SIGNER" in r.stderr
