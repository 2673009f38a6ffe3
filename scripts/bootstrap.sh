#!/usr/bin/env bash
# Install what is missing on a Debian machine, idempotently:
#   - Tesseract with Japanese data, the Noto CJK fonts the OCR draws
#     candidate characters in, python3-venv (apt)
#   - with --browser: Chromium and the fonts tests draw sheets with (apt)
#   - a Redis server if none answers on REDIS_URL's host (apt, then started)
#   - the Python environment in .venv from the hashed lock
# Usage: scripts/bootstrap.sh [--postgres] [--browser]
set -euo pipefail
cd "$(dirname "$0")/.."

want_pg=0; want_browser=0
for arg in "$@"; do
  case "$arg" in
    --postgres) want_pg=1 ;;
    --browser) want_browser=1 ;;
  esac
done

log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }

APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "Missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  if [ $APT_UPDATED = 0 ]; then
    log "apt-get update"; apt-get update -qq; APT_UPDATED=1
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

PY=${PYTHON:-python3}
if ! command -v "$PY" >/dev/null; then apt_install python3; fi
apt_install tesseract-ocr tesseract-ocr-jpn tesseract-ocr-script-jpan fonts-noto-cjk python3-venv ca-certificates

# --- Redis: use the one at REDIS_URL, or start a local one.
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
redis_up() { "$PY" - "$REDIS_URL" <<'PYEOF'
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
try:
    s = socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=1)
    s.sendall(b"PING\r\n"); ok = s.recv(16).startswith((b"+PONG", b"-NOAUTH"))
except OSError:
    ok = False
sys.exit(0 if ok else 1)
PYEOF
}
if ! redis_up; then
  apt_install redis-server
  redis_port=$("$PY" -c "import sys, urllib.parse; print(urllib.parse.urlparse(sys.argv[1]).port or 6379)" "$REDIS_URL")
  log "starting a local Redis on 127.0.0.1:$redis_port"
  mkdir -p var/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --dir "$PWD/var/redis" --logfile "$PWD/var/redis/redis.log"
  for _ in $(seq 1 50); do redis_up && break; sleep 0.1; done
  redis_up || { echo "Redis did not start; see var/redis/redis.log" >&2; exit 1; }
fi

# --- PostgreSQL (tests only): use the one at DATABASE_URL, or install one.
port_open() { "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=1)" "$1" 2>/dev/null; }
if [ $want_pg = 1 ]; then
  if ! port_open 5432; then
    apt_install postgresql postgresql-client
    ver=$(ls /etc/postgresql | sort -V | tail -1)
    # Trust auth on loopback for the throwaway test cluster, as on CI machines.
    hba=/etc/postgresql/$ver/main/pg_hba.conf
    if ! grep -q "kakehashi-test" "$hba"; then
      sed -i '1i host all all 127.0.0.1/32 trust # kakehashi-test' "$hba"
    fi
    log "starting PostgreSQL $ver"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || pg_ctlcluster "$ver" main start
    for _ in $(seq 1 50); do port_open 5432 && break; sleep 0.2; done
    psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
      || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
  fi
fi

if [ $want_browser = 1 ]; then
  # libatomic1: the Node.js driver inside the playwright wheel links it.
  apt_install chromium libatomic1
  # The fonts ../shared/sheetgen draws test sheets with (print and
  # handwriting); without them it falls back and the sheets differ.
  apt_install fonts-ipaexfont fonts-klee fonts-seto
fi

# --- Python environment from the hashed lock; reinstalled when the lock changes.
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.lock-sha
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ "$(cat $stamp 2>/dev/null)" != "$want" ]; then
  log "installing Python packages (requirements.lock)"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q --require-hashes -r requirements.lock
  echo "$want" > $stamp
fi
