"""One contract, every ObjectStore in STORES: the local folder and S3 (moto's server, on loopback)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from social_core.media import STORES, LocalStore, ObjectNotFound, ObjectStore, StoreConfig, content_key, make_store
from social_core.media.storage import check_key

BUCKET = "pixelrank-media"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return make_store(StoreConfig(type="local", root=tmp_path / "media"))
    endpoint = request.getfixturevalue("s3_endpoint")
    prefix = f"{request.node.name}/".replace("[", "-").replace("]", "")
    config = StoreConfig(
        type="s3",
        bucket=BUCKET,
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
        prefix=prefix,
    )
    return make_store(config)


def test_put_get_exists_delete(store: ObjectStore) -> None:
    assert isinstance(store, ObjectStore)
    data = b"\xff\xd8 some jpeg bytes"
    key = content_key(data, "jpg")
    assert not store.exists(key)
    store.put(key, data, "image/jpeg")
    assert store.exists(key)
    assert store.get(key) == data
    store.put(key, data, "image/jpeg")  # content-addressed: writing again is harmless
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting a missing object is not an error


def test_missing_object_raises_object_not_found(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        store.get(content_key(b"never stored", "webp"))
    with pytest.raises(KeyError):  # ObjectNotFound is a KeyError
        store.get("ab/cd/missing.webp")


def test_keys_cannot_escape(store: ObjectStore) -> None:
    for key in ("../outside", "/etc/passwd", "a/../../b", "", "a//b", "a/.hidden"):
        with pytest.raises(ValueError):
            store.put(key, b"x", "text/plain")


def test_content_key_is_the_sha256() -> None:
    key = content_key(b"abc", "webp")
    digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert key == f"ba/78/{digest}.webp" and check_key(key) == key


def test_local_store_writes_atomically_under_its_root(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put("ab/cd/file.jpg", b"one", "image/jpeg")
    assert store.path("ab/cd/file.jpg").read_bytes() == b"one"
    assert [p.name for p in (tmp_path / "ab" / "cd").iterdir()] == ["file.jpg"]  # no temporary file left


def test_unknown_store_type() -> None:
    with pytest.raises(ValueError, match="unknown object store type"):
        make_store(StoreConfig(type="ftp"))  # type: ignore[arg-type]
