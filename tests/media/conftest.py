"""Media fixtures: an S3 endpoint (moto's server over HTTP) and the storage under test per test.

The S3 endpoint is a real HTTP server started here, reached by boto3 like any S3-compatible
store; nothing in the storage code is patched. Tests that take ``storage`` run once per backend.
"""

import io
import os
import socket
import uuid

import boto3
import pytest
from PIL import Image

from cms.media.storage import LocalStorage, S3Storage

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of an S3 endpoint: moto's server on a free port, for the whole run."""
    from moto.server import ThreadedMotoServer

    saved = {key: os.environ.get(key) for key in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def s3_storage(endpoint, **kwargs):
    bucket = f"folio-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return S3Storage(bucket, prefix="media", endpoint_url=endpoint, region="us-east-1", **kwargs)


@pytest.fixture(params=["local", "s3"])
def storage(request, app, db, monkeypatch, tmp_path):
    """The app's media storage for this test: a local folder, then an S3 bucket."""
    if request.param == "local":
        store = LocalStorage(tmp_path / "media")
    else:
        store = s3_storage(request.getfixturevalue("s3_endpoint"))
    monkeypatch.setitem(app.extensions, "folio.media_storage", store)
    return store


@pytest.fixture
def s3(app, db, monkeypatch, s3_endpoint):
    """An S3 bucket as the app's media storage (for what only S3 does: presigned uploads)."""
    store = s3_storage(s3_endpoint)
    monkeypatch.setitem(app.extensions, "folio.media_storage", store)
    return store


def image_bytes(fmt="PNG", size=(40, 30), color=(200, 30, 30), **save):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def upload(api, data, filename="photo.png", **fields):
    """POST ``data`` as the multipart part ``file`` (plus form fields) to /api/media."""
    form = {"file": (io.BytesIO(data), filename), **fields}
    return api.request("POST", "/api/media", data=form, content_type="multipart/form-data")
