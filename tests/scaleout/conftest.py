"""Real servers for the scale-out tests: an S3-compatible store (moto's server mode, from PyPI) started
here in a child process, and the machine's Redis on a database number of its own."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture(scope="session")
def s3_server():
    """The endpoint of a moto S3 server that lives as long as the test session."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


S3_KEYS = {
    "AWS_ACCESS_KEY_ID": "regshare-test",
    "AWS_SECRET_ACCESS_KEY": "regshare-test-secret",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture
def s3_lake(s3_server, settings):
    """The lake on a fresh bucket of the S3 server, as a province would configure it."""
    import boto3

    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_KEYS["AWS_REGION"],
    )
    client.create_bucket(Bucket=bucket)
    settings.REGSHARE_LAKE_URL = f"s3://{bucket}/regshare"
    settings.REGSHARE_LAKE_STORAGE_OPTIONS = dict(S3_KEYS, AWS_ENDPOINT_URL=s3_server, AWS_ALLOW_HTTP="true")
    return client, bucket
