"""Real ASGI server processes (Daphne) for tests that cross process boundaries.

They run against the test database the current test uses (PostgreSQL, with
`transaction=True` so that they see committed rows) and the same Redis
channel-layer prefix, so events cross between them exactly as in production.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_database_url() -> str:
    sd = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("server-process tests need PostgreSQL (mark them `postgres`)")
    user = sd.get("USER") or "postgres"
    password = f":{sd['PASSWORD']}" if sd.get("PASSWORD") else ""
    host = sd.get("HOST") or "127.0.0.1"
    port = sd.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{sd['NAME']}"


@contextmanager
def daphne_process(env: dict[str, str]) -> Iterator[str]:
    """Start Daphne with `env` on a free port; yield its base URL
    ("http://127.0.0.1:PORT"); stop it on exit. Also used by bench/."""
    port = free_port()
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    proc = subprocess.Popen(
        [*command, "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"daphne exited: {err[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("daphne did not start in 30 s") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def asgi_server(extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Daphne on the current test's database and channel-layer prefix."""
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CHANNELS_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],  # type: ignore[index]
        "REDIS_URL": settings.REDIS_URL,
        # No worker in these tests: OCR runs inside the server process.
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "DEBUG": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        **(extra_env or {}),
    }
    with daphne_process(env) as base:
        yield base
