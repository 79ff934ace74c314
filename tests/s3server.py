"""A throwaway S3-compatible server for the tests: moto's server mode as a real process on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# moto accepts any credentials; these only have to be the same on both sides.
ACCESS_KEY = "ferry-test-access"
SECRET_KEY = "ferry-test-secret"
REGION = "us-east-1"
# Generous: a loaded machine may take a while to import moto; a healthy one answers in about a second.
START_TIMEOUT_SECONDS = 60


class S3ServerUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2}),
        )


@dataclass(frozen=True)
class Bucket:
    """A bucket on the test server, read directly with boto3 (as someone holding the bucket would)."""

    client: Any
    name: str

    def object_keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(entry["Key"] for page in pages for entry in page.get("Contents", ()))

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.name, Key=key)["Body"].read())

    def head(self, key: str) -> dict[str, Any]:
        return dict(self.client.head_object(Bucket=self.name, Key=key))

    def empty_and_delete(self) -> None:
        for key in self.object_keys():
            self.client.delete_object(Bucket=self.name, Key=key)
        self.client.delete_bucket(Bucket=self.name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(server: S3Server, proc: subprocess.Popen[bytes]) -> bool:
    """Wait until the server lists buckets; False if the process exits first (its port was taken, say)."""
    client = server.client()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            client.list_buckets()
        except (BotoCoreError, ClientError):
            time.sleep(0.1)
            continue
        return True
    raise S3ServerUnavailable(f"moto's S3 server did not answer within {START_TIMEOUT_SECONDS} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def s3_server(log: Path) -> Iterator[S3Server]:
    """Start moto's server on a free port of 127.0.0.1, yield it once it answers, stop it afterwards."""
    for _attempt in range(3):
        port = _free_port()
        server = S3Server(endpoint=f"http://127.0.0.1:{port}")
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            started = _answers(server, proc)
        except BaseException:
            _stop(proc)
            raise
        if started:
            break
        _stop(proc)
    else:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise S3ServerUnavailable("moto's S3 server exited at start: " + " | ".join(tail))
    try:
        yield server
    finally:
        _stop(proc)
