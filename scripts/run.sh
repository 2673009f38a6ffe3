#!/usr/bin/env bash
# `make run`: install what is missing, migrate, load the demo town, then run
# the web server (Daphne, HTTP + WebSockets), the Celery worker and beat
# together. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE=config.settings
export OMP_THREAD_LIMIT=1
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
mkdir -p var
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py seed_demo

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "stopping…"
  # Background jobs of a script ignore SIGINT, so Ctrl-C reaches them only
  # through this trap. Daphne drains connections for up to ~10 s.
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 30); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    sleep 0.5
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}
trap cleanup INT TERM EXIT

.venv/bin/celery -A config worker --beat --loglevel=WARNING --concurrency=2 \
  --schedule var/celerybeat-schedule &
pids+=($!)
.venv/bin/daphne -b "$HOST" -p "$PORT" config.asgi:application &
pids+=($!)
echo
echo "Kakehashi is running: http://$HOST:$PORT/  (API docs: /api/docs/)  Ctrl-C stops."
wait -n "${pids[@]}"
