#!/usr/bin/env bash
# `make test`: install what is missing (Tesseract, Redis, PostgreSQL,
# Chromium, the Python environment), then run the whole suite against the
# real PostgreSQL and Redis. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
bash scripts/bootstrap.sh --postgres --browser
export OMP_THREAD_LIMIT=1
# A scratch MEDIA_ROOT: tests upload real photos.
export MEDIA_ROOT=${MEDIA_ROOT:-$(mktemp -d)}
exec .venv/bin/pytest "$@"
