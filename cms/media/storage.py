"""Where media bytes live: one interface, a local folder and S3 (or any S3-compatible store).

A backend stores objects under keys (``originals/ab/abcdef…``, ``renditions/<id>/…``). Files are
always moved in chunks: no method reads a whole object into memory. Plugins add backends with the
``folio_register_media_storage`` hook (``registry.register("name", factory)`` where ``factory(config)``
returns an object with these methods).
"""

import logging
import os
import shutil
import tempfile
from pathlib import Path

from cms.core.errors import ApiError

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024


class StorageUnavailable(ApiError):
    status, code = 503, "storage_unavailable"
    message = "The media storage cannot be reached; try again later."


class LocalStorage:
    """Objects as files under a folder (the embedded default)."""

    name = "local"
    presigned_uploads = False

    def __init__(self, root):
        self.root = Path(root).resolve()

    def _path(self, key):
        path = (self.root / key).resolve()
        if self.root not in path.parents:  # keys are made by Folio, but never trust a path
            raise ValueError(f"key outside the media root: {key!r}")
        return path

    def save(self, key, source, content_type):
        """Store the open binary file ``source`` (read in chunks) under ``key``."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as target:
                shutil.copyfileobj(source, target, CHUNK)
            os.replace(temporary, path)  # readers never see half a file
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key):
        return open(self._path(key), "rb")

    def path(self, key):
        """The file of ``key`` (local storage only: served by the app with ranges and validators)."""
        return self._path(key)

    def exists(self, key):
        return self._path(key).is_file()

    def size(self, key):
        return self._path(key).stat().st_size

    def delete(self, key):
        self._path(key).unlink(missing_ok=True)

    def keys(self, prefix=""):
        base = self.root / prefix if prefix else self.root
        if not base.exists():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith(".upload-"):
                yield path.relative_to(self.root).as_posix()

    def url(self, key, filename=None):
        return None  # served by the app: /api/media/<id>/file


class S3Storage:
    """Objects in an S3 bucket through boto3 (credentials from boto3's usual chain)."""

    name = "s3"
    presigned_uploads = True

    def __init__(self, bucket, prefix="", endpoint_url=None, region=None, public_url=None, url_seconds=3600,
                 client=None):
        import boto3
        from botocore.config import Config

        if not bucket:
            raise RuntimeError("FOLIO_MEDIA_STORAGE=s3 needs FOLIO_S3_BUCKET.")
        self.bucket, self.prefix = bucket, prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.public_url, self.url_seconds = (public_url or "").rstrip("/"), url_seconds
        self.client = client or boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            config=Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3}))

    def _key(self, key):
        return self.prefix + key

    def _call(self, method, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise FileNotFoundError(kwargs.get("Key")) from None
            log.warning("S3 %s failed: %s", method, exc)
            raise StorageUnavailable() from None
        except BotoCoreError as exc:
            log.warning("S3 %s failed: %s", method, exc)
            raise StorageUnavailable() from None

    def save(self, key, source, content_type):
        from boto3.s3.transfer import TransferConfig
        from botocore.exceptions import BotoCoreError, ClientError

        try:  # multipart in 8 MB parts: memory stays flat whatever the size
            self.client.upload_fileobj(source, self.bucket, self._key(key), ExtraArgs={"ContentType": content_type},
                                       Config=TransferConfig(multipart_chunksize=8 * CHUNK, max_concurrency=2))
        except (BotoCoreError, ClientError) as exc:
            log.warning("S3 upload failed: %s", exc)
            raise StorageUnavailable() from None

    def open(self, key, byte_range=None):
        extra = {"Range": f"bytes={byte_range[0]}-{byte_range[1]}"} if byte_range else {}
        return self._call("get_object", Key=self._key(key), **extra)["Body"]

    def exists(self, key):
        try:
            self._call("head_object", Key=self._key(key))
        except FileNotFoundError:
            return False
        return True

    def size(self, key):
        return self._call("head_object", Key=self._key(key))["ContentLength"]

    def delete(self, key):
        self._call("delete_object", Key=self._key(key))

    def keys(self, prefix=""):
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                for item in page.get("Contents", ()):
                    yield item["Key"][len(self.prefix):]
        except Exception as exc:  # botocore errors: the store is unreachable or refuses
            log.warning("S3 list failed: %s", exc)
            raise StorageUnavailable() from None

    def copy(self, source_key, key, content_type):
        self._call("copy_object", Key=self._key(key), CopySource={"Bucket": self.bucket, "Key": self._key(source_key)},
                   ContentType=content_type, MetadataDirective="REPLACE")

    def url(self, key, filename=None):
        if self.public_url:
            return f"{self.public_url}/{self._key(key)}"
        params = {"Bucket": self.bucket, "Key": self._key(key)}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=self.url_seconds)

    # -- presigned multipart uploads (large files go straight to the bucket) --

    def start_multipart(self, key, content_type):
        return self._call("create_multipart_upload", Key=self._key(key), ContentType=content_type)["UploadId"]

    def part_urls(self, key, upload_id, parts, seconds):
        return [self.client.generate_presigned_url(
            "upload_part", Params={"Bucket": self.bucket, "Key": self._key(key), "UploadId": upload_id,
                                   "PartNumber": number}, ExpiresIn=seconds) for number in range(1, parts + 1)]

    def complete_multipart(self, key, upload_id, parts):
        self._call("complete_multipart_upload", Key=self._key(key), UploadId=upload_id,
                   MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, etag in parts]})

    def abort_multipart(self, key, upload_id):
        try:
            self._call("abort_multipart_upload", Key=self._key(key), UploadId=upload_id)
        except (FileNotFoundError, StorageUnavailable):
            pass


class StorageRegistry:
    """Backends by name: ``local`` and ``s3`` built in; plugins register more."""

    def __init__(self):
        self._factories = {"local": lambda config: LocalStorage(config["MEDIA_ROOT"]),
                           "s3": lambda config: S3Storage(
                               config["S3_BUCKET"], config["S3_PREFIX"], config["S3_ENDPOINT_URL"],
                               config["S3_REGION"], config["MEDIA_PUBLIC_URL"], config["MEDIA_URL_SECONDS"])}

    def register(self, name, factory):
        self._factories[name] = factory

    def names(self):
        return sorted(self._factories)

    def build(self, config):
        name = config["MEDIA_STORAGE"]
        if name not in self._factories:
            raise RuntimeError(f"FOLIO_MEDIA_STORAGE={name!r}: use one of {', '.join(sorted(self._factories))}.")
        return self._factories[name](config)
