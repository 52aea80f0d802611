"""Objects by SHA-256, written once: the filesystem (embedded) or MinIO / S3 (production).

Addressing by content makes every write idempotent (the same bytes twice are one object) and lets fixity
checks re-hash what is stored. Writes are atomic, so a reader never sees half an object.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024
_SHA = re.compile(r"^[0-9a-f]{64}$")


class ObjectStoreError(Exception):
    """The store could not do what was asked; the message says what and where."""


class ObjectNotFound(ObjectStoreError):
    pass


class ObjectCorrupt(ObjectStoreError):
    pass


@dataclass(frozen=True)
class StoredObject:
    sha256: str
    size: int
    content_type: str


def check_sha(sha256: str) -> str:
    """Refuse anything but 64 lowercase hex digits, so a key can never turn into a path."""
    if not isinstance(sha256, str) or not _SHA.match(sha256):
        raise ObjectStoreError(f"not a SHA-256 object address: {sha256!r}")
    return sha256


def key_for(sha256: str) -> str:
    check_sha(sha256)
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def hash_file(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


class ObjectStore(ABC):
    @abstractmethod
    def put_file(self, path: Path, content_type: str = "application/octet-stream") -> StoredObject: ...

    def put_bytes(self, data: bytes, content_type: str = "application/octet-stream") -> StoredObject:
        with tempfile.NamedTemporaryFile(prefix="sohoa-put-", delete=False) as tmp:
            tmp.write(data)
        try:
            return self.put_file(Path(tmp.name), content_type)
        finally:
            os.unlink(tmp.name)

    @abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    def stat(self, sha256: str) -> StoredObject: ...

    @abstractmethod
    def open(self, sha256: str): ...  # context manager yielding a binary stream

    @abstractmethod
    def iter_objects(self) -> Iterator[StoredObject]: ...

    def local_path(self, sha256: str) -> Path | None:
        """A path to read the object from directly, when the store is on this machine; else None."""
        return None

    def get_bytes(self, sha256: str) -> bytes:
        with self.open(sha256) as f:
            return f.read()

    def copy_to(self, sha256: str, dest: Path) -> Path:
        """Stream an object to a local file, atomically (a temp file renamed into place)."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as out, self.open(sha256) as src:
                while chunk := src.read(CHUNK):
                    out.write(chunk)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return dest

    def verify(self, sha256: str) -> bool:
        """Re-hash the stored bytes (streaming): True when they still match their address."""
        h = hashlib.sha256()
        with self.open(sha256) as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
        return h.hexdigest() == sha256


class FsObjectStore(ObjectStore):
    """``root/sha256/ab/cd/<sha>`` plus a ``.meta`` JSON sidecar; objects are made read-only once written."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        return self.root / key_for(sha256)

    def put_file(self, path: Path, content_type: str = "application/octet-stream") -> StoredObject:
        sha, size = hash_file(path)
        target = self._path(sha)
        if target.exists():
            return StoredObject(sha, size, self._content_type(target, content_type))
        target.parent.mkdir(parents=True, exist_ok=True)
        meta = target.with_name(target.name + ".meta")
        _atomic_write(meta, json.dumps({"content_type": content_type, "size": size}).encode())
        fd, tmp = tempfile.mkstemp(prefix=f".{sha}.", dir=target.parent)
        try:
            h = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if h.hexdigest() != sha:
                raise ObjectStoreError(f"{path} changed while it was being stored")
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredObject(sha, size, content_type)

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()

    def local_path(self, sha256: str) -> Path | None:
        path = self._path(sha256)
        return path if path.exists() else None

    def stat(self, sha256: str) -> StoredObject:
        target = self._path(sha256)
        try:
            size = target.stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {sha256} in {self.root}") from None
        return StoredObject(sha256, size, self._content_type(target))

    @staticmethod
    def _content_type(target: Path, default: str = "application/octet-stream") -> str:
        try:
            return json.loads(target.with_name(target.name + ".meta").read_text())["content_type"]
        except (OSError, ValueError, KeyError):
            return default

    @contextmanager
    def open(self, sha256: str):
        try:
            f = open(self._path(sha256), "rb")
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {sha256} in {self.root}") from None
        with f:
            yield f

    def iter_objects(self) -> Iterator[StoredObject]:
        base = self.root / "sha256"
        if not base.exists():
            return
        for dirpath, _dirs, files in os.walk(base):
            for name in sorted(files):
                if _SHA.match(name):
                    yield self.stat(name)


class MinioObjectStore(ObjectStore):
    """Objects in one bucket of MinIO (or any S3), keyed like the filesystem store."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str = "sohoa", *, secure: bool = False, region: str | None = None):
        from minio import Minio

        self.endpoint, self.bucket = endpoint, bucket
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        self._ensure_bucket()

    def _call(self, what: str, fn, *args, **kwargs):
        from minio.error import S3Error

        try:
            return fn(*args, **kwargs)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                raise ObjectNotFound(f"no object {what} in s3://{self.bucket} at {self.endpoint}") from None
            raise ObjectStoreError(f"S3 error on {what} at {self.endpoint}: {exc.code}: {exc.message}") from None
        except (OSError, Exception) as exc:  # urllib3 connection errors and the like
            if isinstance(exc, ObjectStoreError):
                raise
            raise ObjectStoreError(f"cannot reach the object store at {self.endpoint}: {exc}") from None

    def _ensure_bucket(self) -> None:
        from minio.versioningconfig import ENABLED, VersioningConfig

        if not self._call("bucket", self.client.bucket_exists, self.bucket):
            self._call("bucket", self.client.make_bucket, self.bucket)
        try:  # a new version never overwrites the old; not every S3 server supports it
            self.client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
        except Exception:
            pass

    def put_file(self, path: Path, content_type: str = "application/octet-stream") -> StoredObject:
        sha, size = hash_file(path)
        if self.exists(sha):
            return self.stat(sha)
        self._call(
            sha,
            self.client.fput_object,
            self.bucket,
            key_for(sha),
            str(path),
            content_type=content_type,
            metadata={"sha256": sha},
        )
        return StoredObject(sha, size, content_type)

    def put_bytes(self, data: bytes, content_type: str = "application/octet-stream") -> StoredObject:
        sha = hashlib.sha256(data).hexdigest()
        if self.exists(sha):
            return self.stat(sha)
        self._call(sha, self.client.put_object, self.bucket, key_for(sha), io.BytesIO(data), len(data),
                   content_type=content_type, metadata={"sha256": sha})
        return StoredObject(sha, len(data), content_type)

    def exists(self, sha256: str) -> bool:
        try:
            self.stat(sha256)
            return True
        except ObjectNotFound:
            return False

    def stat(self, sha256: str) -> StoredObject:
        st = self._call(sha256, self.client.stat_object, self.bucket, key_for(sha256))
        return StoredObject(sha256, st.size, st.content_type or "application/octet-stream")

    @contextmanager
    def open(self, sha256: str):
        resp = self._call(sha256, self.client.get_object, self.bucket, key_for(sha256))
        try:
            yield resp
        finally:
            resp.close()
            resp.release_conn()

    def iter_objects(self) -> Iterator[StoredObject]:
        for obj in self._call("listing", self.client.list_objects, self.bucket, prefix="sha256/", recursive=True):
            name = obj.object_name.rsplit("/", 1)[-1]
            if _SHA.match(name):
                yield StoredObject(name, obj.size, obj.content_type or "application/octet-stream")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def make_object_store(kind: str, *, data_dir: Path | None = None, endpoint: str | None = None, access_key: str | None = None,
                      secret_key: str | None = None, bucket: str = "sohoa", secure: bool = False, region: str | None = None) -> ObjectStore:
    if kind == "fs":
        if data_dir is None:
            raise ObjectStoreError("the filesystem object store needs a directory")
        return FsObjectStore(data_dir)
    if kind == "minio":
        if not endpoint:
            raise ObjectStoreError("the MinIO object store needs an endpoint (host:port)")
        return MinioObjectStore(endpoint, access_key or "", secret_key or "", bucket, secure=secure, region=region)
    raise ObjectStoreError(f"unknown object store {kind!r}: use 'fs' or 'minio'")
