"""The object store, on the filesystem and on a real S3 server (moto), through the same tests."""

from __future__ import annotations

import hashlib
import os
import resource
import stat
import uuid

import pytest

from storage.objects import ObjectNotFound, ObjectStoreError, make_object_store
from tests.s3server import s3_server  # noqa: F401


@pytest.fixture(params=["fs", "minio"])
def store(request, tmp_path):
    if request.param == "fs":
        return make_object_store("fs", data_dir=tmp_path / "objects")
    endpoint = request.getfixturevalue("s3_server")
    return make_object_store("minio", endpoint=endpoint, access_key="testing", secret_key="testing",
                             bucket=f"t-{uuid.uuid4().hex[:10]}")


def test_round_trip_and_idempotent_put(store, tmp_path):
    data = "Quyết định số 12/QĐ-UBND".encode() * 100
    a = store.put_bytes(data, "text/plain")
    f = tmp_path / "same.txt"
    f.write_bytes(data)
    b = store.put_file(f, "text/plain")
    assert a.sha256 == b.sha256 == hashlib.sha256(data).hexdigest()
    assert store.get_bytes(a.sha256) == data
    assert store.stat(a.sha256).size == len(data)
    assert store.stat(a.sha256).content_type == "text/plain"
    assert [o.sha256 for o in store.iter_objects()] == [a.sha256]
    assert store.verify(a.sha256)


def test_large_object_is_streamed(store, tmp_path):
    big = tmp_path / "big.bin"
    chunk = os.urandom(1024 * 1024)
    with open(big, "wb") as f:
        for _ in range(40):
            f.write(chunk)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    obj = store.put_file(big)
    out = store.copy_to(obj.sha256, tmp_path / "back.bin")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert out.stat().st_size == 40 * 2**20 and store.verify(obj.sha256)
    assert grown_mb < 30, f"memory grew {grown_mb:.0f} MiB for a 40 MiB object"


def test_missing_and_invalid_addresses(store):
    with pytest.raises(ObjectNotFound):
        store.stat("0" * 64)
    with pytest.raises(ObjectNotFound):
        store.get_bytes("0" * 64)
    assert not store.exists("0" * 64)
    for bad in ("../../etc/passwd", "ABC", "g" * 64):
        with pytest.raises(ObjectStoreError):
            store.exists(bad)


def test_fs_objects_are_read_only_and_corruption_is_detected(tmp_path):
    store = make_object_store("fs", data_dir=tmp_path / "objects")
    obj = store.put_bytes(b"original scan bytes")
    path = tmp_path / "objects" / "sha256" / obj.sha256[:2] / obj.sha256[2:4] / obj.sha256
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    assert not store.verify(obj.sha256)


def test_s3_corruption_is_detected(s3_server):  # noqa: F811
    store = make_object_store("minio", endpoint=s3_server, access_key="testing", secret_key="testing", bucket=f"t-{uuid.uuid4().hex[:10]}")
    obj = store.put_bytes(b"original scan bytes")
    import io

    key = f"sha256/{obj.sha256[:2]}/{obj.sha256[2:4]}/{obj.sha256}"
    store.client.put_object(store.bucket, key, io.BytesIO(b"tampered"), 8)
    assert not store.verify(obj.sha256)


def test_failed_put_leaves_no_partial_object(tmp_path):
    store = make_object_store("fs", data_dir=tmp_path / "objects")
    missing = tmp_path / "gone.jpg"
    with pytest.raises(FileNotFoundError):
        store.put_file(missing)
    leftovers = [p for p in (tmp_path / "objects").rglob("*") if p.is_file()]
    assert leftovers == []


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(ObjectStoreError, match="127.0.0.1:9"):
        make_object_store("minio", endpoint="127.0.0.1:9", access_key="x", secret_key="y")
