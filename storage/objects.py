"""Objects by SHA-256, written once: the filesystem (embedded) or MinIO / S3 (production).

Addressing by content makes every write idempotent (the same bytes twice are one object) and lets fixity
checks re-hash what is stored. Writes are atomic, so a reader never sees half an object.

Write-once is enforced here, not just hoped for: a put of a key that already exists never rewrites it — the
stored object is checked against the new bytes and left alone; if it no longer matches its address the put
fails with ``ObjectCorrupt`` (a fixity problem, for ``sohoa fixity``), it does not paper over it. There is no
API that replaces an object. Removal is ``delete(sha, tombstone_reason=...)``, used only by
``storage.archive`` after a retention period, and ``quarantine(sha, ...)``, used only by ``storage.fixity``.
On MinIO the bucket also gets versioning and, when the server supports it, object lock (governance mode
by default), so another client cannot silently destroy history either.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

CHUNK = 1024 * 1024
_SHA = re.compile(r"^[0-9a-f]{64}$")
QUARANTINE = "quarantine"  # fs: <root>/quarantine/; S3: the quarantine/ prefix of the bucket
log = logging.getLogger(__name__)
_warned: set[str] = set()


def _warn_once(key: str, msg: str, *args) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(msg, *args)


class ObjectStoreError(Exception):
    """The store could not do what was asked; the message says what and where."""


class ObjectNotFound(ObjectStoreError):
    pass


class ObjectCorrupt(ObjectStoreError):
    pass


class WriteOnceError(ObjectStoreError):
    """Something asked to overwrite or remove an object outside the archive's privileged paths."""


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
    with open(path, "rb", buffering=0) as f:
        return hash_stream(f)


def hash_stream(f, chunk: int = CHUNK) -> tuple[str, int]:
    """SHA-256 and size of a binary stream, read in ``chunk``-sized pieces into one reused buffer."""
    h, size = hashlib.sha256(), 0
    buf = bytearray(chunk)
    view = memoryview(buf)
    readinto = getattr(f, "readinto", None)
    if readinto is not None:
        while n := readinto(buf):
            h.update(view[:n])
            size += n
    else:
        while data := f.read(chunk):
            h.update(data)
            size += len(data)
    return h.hexdigest(), size


def _reason(tombstone_reason: str | None, what: str) -> str:
    if not tombstone_reason or not str(tombstone_reason).strip():
        raise WriteOnceError(f"objects are write-once: {what} needs a reason (the archive's tombstone or fixity finding)")
    return str(tombstone_reason).strip()


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
        with self.open(sha256) as f:
            return hash_stream(f)[0] == sha256

    def overwrite(self, *_args, **_kwargs):
        """There is no overwrite: objects are write-once (a new version is a new object)."""
        raise WriteOnceError("objects are write-once: a new version is a new object under its own SHA-256")

    @abstractmethod
    def delete(self, sha256: str, *, tombstone_reason: str) -> bool:
        """Remove an object for good (the archive, after retention, leaving a tombstone). False if absent."""

    @abstractmethod
    def quarantine(self, sha256: str, *, reason: str) -> str | None:
        """Move a bad object out of its address, kept for inspection; returns where it went (None if absent)."""

    def iter_quarantined(self) -> Iterator[str]:
        return iter(())


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
            return self._existing(target, sha, size, content_type)
        target.parent.mkdir(parents=True, exist_ok=True)
        meta = target.with_name(target.name + ".meta")
        if not meta.exists():
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
            try:  # link, not rename: never replaces an object another writer put there meanwhile
                os.link(tmp, target)
            except FileExistsError:
                return self._existing(target, sha, size, content_type)
            finally:
                Path(tmp).unlink(missing_ok=True)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredObject(sha, size, content_type)

    def _existing(self, target: Path, sha: str, size: int, content_type: str) -> StoredObject:
        """The key exists: keep the stored bytes, after checking they still are what the key says."""
        with open(target, "rb", buffering=0) as f:
            got, got_size = hash_stream(f)
        if got != sha:
            raise ObjectCorrupt(f"object {sha} in {self.root} no longer matches its address (now {got}, "
                                f"{got_size} bytes): not overwritten; run `sohoa fixity`")
        return StoredObject(sha, size, self._content_type(target, content_type))

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
                    try:
                        size = os.stat(os.path.join(dirpath, name)).st_size
                    except FileNotFoundError:
                        continue
                    yield StoredObject(name, size, "application/octet-stream")

    def delete(self, sha256: str, *, tombstone_reason: str) -> bool:
        reason = _reason(tombstone_reason, f"deleting {sha256}")
        target = self._path(sha256)
        meta = target.with_name(target.name + ".meta")
        if not target.exists():
            meta.unlink(missing_ok=True)
            return False
        target.unlink()
        meta.unlink(missing_ok=True)
        log.info("object %s deleted from %s: %s", sha256, self.root, reason)
        return True

    def quarantine(self, sha256: str, *, reason: str) -> str | None:
        _reason(reason, f"quarantining {sha256}")
        target = self._path(sha256)
        if not target.exists():
            return None
        qdir = self.root / QUARANTINE
        qdir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        dest = qdir / f"{sha256}.{stamp}"
        os.replace(target, dest)
        meta = target.with_name(target.name + ".meta")
        record = {"sha256": sha256, "reason": reason, "at": stamp}
        try:
            record["meta"] = json.loads(meta.read_text())
        except (OSError, ValueError):
            pass
        _atomic_write(qdir / f"{sha256}.{stamp}.json", json.dumps(record, ensure_ascii=False).encode())
        meta.unlink(missing_ok=True)
        log.warning("object %s quarantined to %s: %s", sha256, dest, reason)
        return str(dest)

    def iter_quarantined(self) -> Iterator[str]:
        qdir = self.root / QUARANTINE
        if qdir.exists():
            for p in sorted(qdir.iterdir()):
                if not p.name.endswith(".json"):
                    yield str(p)


class MinioObjectStore(ObjectStore):
    """Objects in one bucket of MinIO (or any S3), keyed like the filesystem store.

    At start the bucket gets versioning (an overwrite by another client becomes a new version, the old one
    stays) and, when sohoa creates the bucket and the server supports it, object lock with a default
    retention (``lock_mode`` GOVERNANCE or COMPLIANCE, ``lock_days``): nobody without the bypass right can
    remove a version before then. A server that supports neither is used anyway; it is logged once.
    """

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str = "sohoa", *, secure: bool = False,
                 region: str | None = None, lock_mode: str | None = "GOVERNANCE", lock_days: int = 3650):
        from minio import Minio

        self.endpoint, self.bucket = endpoint, bucket
        self.lock_mode, self.lock_days = (lock_mode.upper() if lock_mode else None), lock_days
        self.versioning = self.object_lock = False
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        self._ensure_bucket()

    def _call(self, what: str, fn, *args, **kwargs):
        from minio.error import S3Error

        try:
            return fn(*args, **kwargs)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NoSuchVersion"):
                raise ObjectNotFound(f"no object {what} in s3://{self.bucket} at {self.endpoint}") from None
            raise ObjectStoreError(f"S3 error on {what} at {self.endpoint}: {exc.code}: {exc.message}") from None
        except (OSError, Exception) as exc:  # urllib3 connection errors and the like
            if isinstance(exc, ObjectStoreError):
                raise
            raise ObjectStoreError(f"cannot reach the object store at {self.endpoint}: {exc}") from None

    def _ensure_bucket(self) -> None:
        from minio.versioningconfig import ENABLED, VersioningConfig

        if not self._call("bucket", self.client.bucket_exists, self.bucket):
            made = False
            if self.lock_mode:
                try:  # object lock can only be switched on when the bucket is made
                    self.client.make_bucket(self.bucket, object_lock=True)
                    made = True
                except Exception as exc:
                    _warn_once(f"lock-make:{self.endpoint}", "object store %s: cannot make bucket %s with object lock "
                               "(%s); using a plain bucket, write-once is enforced by sohoa alone", self.endpoint, self.bucket, exc)
            if not made:
                self._call("bucket", self.client.make_bucket, self.bucket)
        try:  # a new version never overwrites the old; not every S3 server supports it
            self.client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
            self.versioning = self.client.get_bucket_versioning(self.bucket).status == ENABLED
        except Exception as exc:
            _warn_once(f"versioning:{self.endpoint}", "object store %s: bucket versioning not available (%s)", self.endpoint, exc)
        if self.lock_mode:
            self._ensure_lock()

    def _ensure_lock(self) -> None:
        from minio.commonconfig import COMPLIANCE, GOVERNANCE

        self._mode = {"GOVERNANCE": GOVERNANCE, "COMPLIANCE": COMPLIANCE}.get(self.lock_mode)
        if self._mode is None:
            raise ObjectStoreError(f"object lock mode {self.lock_mode!r}: use GOVERNANCE or COMPLIANCE")
        try:  # raises when the bucket was made without object lock, or the server has none
            self.client.get_object_lock_config(self.bucket)
            self.object_lock = self.lock_days > 0
        except Exception as exc:
            _warn_once(f"lock:{self.endpoint}:{self.bucket}", "object store %s: bucket %s has no object lock (%s); "
                       "write-once is enforced by sohoa and bucket versioning only", self.endpoint, self.bucket, exc)

    def _retention(self):
        """Each object sohoa writes is locked (per object, not a bucket default, so other tools' writes are
        not refused: they become new versions above a locked one)."""
        if not self.object_lock:
            return None
        from datetime import timedelta

        from minio.retention import Retention

        until = (datetime.now(timezone.utc) + timedelta(days=self.lock_days)).replace(microsecond=0)
        return Retention(self._mode, until)

    def _stat_raw(self, sha256: str):
        return self._call(sha256, self.client.stat_object, self.bucket, key_for(sha256))

    def _existing(self, sha: str, size: int) -> StoredObject | None:
        """None if the key is free; else the stored object, checked (cheaply, then by re-hash) to be intact."""
        try:
            st = self._stat_raw(sha)
        except ObjectNotFound:
            return None
        meta = {k.lower(): v for k, v in (st.metadata or {}).items()}
        if st.size != size or meta.get("x-amz-meta-sha256") != sha:
            if not self.verify(sha):
                raise ObjectCorrupt(f"object {sha} in s3://{self.bucket} no longer matches its address: not "
                                    f"overwritten; run `sohoa fixity`")
        return StoredObject(sha, st.size, st.content_type or "application/octet-stream")

    def put_file(self, path: Path, content_type: str = "application/octet-stream") -> StoredObject:
        sha, size = hash_file(path)
        if (have := self._existing(sha, size)) is not None:
            return have
        self._call(
            sha,
            self.client.fput_object,
            self.bucket,
            key_for(sha),
            str(path),
            content_type=content_type,
            metadata=_put_headers(sha, size),
            retention=self._retention(),
        )
        return StoredObject(sha, size, content_type)

    def put_bytes(self, data: bytes, content_type: str = "application/octet-stream") -> StoredObject:
        sha = hashlib.sha256(data).hexdigest()
        if (have := self._existing(sha, len(data))) is not None:
            return have
        self._call(sha, self.client.put_object, self.bucket, key_for(sha), io.BytesIO(data), len(data),
                   content_type=content_type, metadata=_put_headers(sha, len(data)), retention=self._retention())
        return StoredObject(sha, len(data), content_type)

    def exists(self, sha256: str) -> bool:
        try:
            self.stat(sha256)
            return True
        except ObjectNotFound:
            return False

    def stat(self, sha256: str) -> StoredObject:
        st = self._stat_raw(sha256)
        return StoredObject(sha256, st.size, st.content_type or "application/octet-stream")

    @contextmanager
    def open(self, sha256: str, version_id: str | None = None):
        resp = self._call(sha256, self.client.get_object, self.bucket, key_for(sha256), version_id=version_id)
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

    def _versions(self, key: str) -> list:
        try:
            return [o for o in self._call("listing", self.client.list_objects, self.bucket, prefix=key,
                                          include_version=True) if o.object_name == key]
        except ObjectStoreError:
            return []

    def delete(self, sha256: str, *, tombstone_reason: str) -> bool:
        """Remove every version of the object (bypassing governance retention: this is the archive's
        privileged path, after the document's own retention period)."""
        from minio.deleteobjects import DeleteObject

        reason = _reason(tombstone_reason, f"deleting {sha256}")
        key = key_for(sha256)
        versions = self._versions(key) if self.versioning else []
        present = self.exists(sha256)
        if not versions and not present:
            return False
        targets = [DeleteObject(key, v.version_id) for v in versions if v.version_id] or [DeleteObject(key)]
        errors = list(self._call(sha256, self.client.remove_objects, self.bucket, targets,
                                 bypass_governance_mode=self.object_lock))
        if errors:
            raise ObjectStoreError(f"could not delete {sha256} from s3://{self.bucket}: "
                                   + "; ".join(f"{e.code}: {e.message}" for e in errors))
        log.info("object %s deleted from s3://%s (%d version(s)): %s", sha256, self.bucket, len(targets), reason)
        return present

    def quarantine(self, sha256: str, *, reason: str) -> str | None:
        """Copy the bad object to ``quarantine/<sha>/<time>`` (tagged with the finding), then hide it from its
        address (a delete marker when versioned: earlier versions are kept)."""
        from minio.commonconfig import CopySource, Tags

        _reason(reason, f"quarantining {sha256}")
        key = key_for(sha256)
        if not self.exists(sha256):
            return None
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        dest = f"{QUARANTINE}/{sha256}/{stamp}"
        self._call(sha256, self.client.copy_object, self.bucket, dest, CopySource(self.bucket, key))
        tags = Tags.new_object_tags()
        tags["sohoa-quarantine"] = "1"
        tags["sohoa-reason"] = re.sub(r"[^A-Za-z0-9 +\-=._:/@]", "_", reason)[:250]
        try:
            self.client.set_object_tags(self.bucket, dest, tags)
        except Exception as exc:
            _warn_once(f"tags:{self.endpoint}", "object store %s: cannot tag quarantined objects (%s)", self.endpoint, exc)
        self._call(sha256, self.client.remove_object, self.bucket, key)
        log.warning("object %s quarantined to s3://%s/%s: %s", sha256, self.bucket, dest, reason)
        return f"s3://{self.bucket}/{dest}"

    def iter_quarantined(self) -> Iterator[str]:
        for obj in self._call("listing", self.client.list_objects, self.bucket, prefix=f"{QUARANTINE}/", recursive=True):
            yield f"s3://{self.bucket}/{obj.object_name}"


SINGLE_PUT = 5 * 1024 * 1024  # minio-py sends up to this much in one PutObject, more as a multipart upload


def _put_headers(sha: str, size: int) -> dict:
    """User metadata naming the SHA-256, and for a single PutObject the standard flexible-checksum headers:
    the server checks the bytes against our hash, and a bucket with object lock accepts the upload."""
    import base64

    headers = {"sha256": sha}
    if size <= SINGLE_PUT:
        headers["x-amz-sdk-checksum-algorithm"] = "SHA256"
        headers["x-amz-checksum-sha256"] = base64.b64encode(bytes.fromhex(sha)).decode()
    return headers


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def make_object_store(kind: str, *, data_dir: Path | None = None, endpoint: str | None = None, access_key: str | None = None,
                      secret_key: str | None = None, bucket: str = "sohoa", secure: bool = False, region: str | None = None,
                      lock_mode: str | None = "GOVERNANCE", lock_days: int = 3650) -> ObjectStore:
    if kind == "fs":
        if data_dir is None:
            raise ObjectStoreError("the filesystem object store needs a directory")
        return FsObjectStore(data_dir)
    if kind == "minio":
        if not endpoint:
            raise ObjectStoreError("the MinIO object store needs an endpoint (host:port)")
        return MinioObjectStore(endpoint, access_key or "", secret_key or "", bucket, secure=secure, region=region,
                                lock_mode=lock_mode, lock_days=lock_days)
    raise ObjectStoreError(f"unknown object store {kind!r}: use 'fs' or 'minio'")
