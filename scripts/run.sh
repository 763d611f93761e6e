#!/bin/sh
# Serve on 127.0.0.1:$PORT. In production mode (DATABASE_URL and REDIS_URL set) also start
# a Celery worker and Celery beat beside daphne, and stop them when daphne stops.
set -eu
BIN=${BIN:-.venv/bin}
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
pids=""
cleanup() {
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM
if [ -n "${DATABASE_URL:-}" ] && [ -n "${REDIS_URL:-}" ]; then
  echo "Production mode: PostgreSQL, Redis channel layer, Celery worker + beat."
  "$BIN/celery" -A contactcenter worker --loglevel=INFO --concurrency=2 &
  pids="$pids $!"
  "$BIN/celery" -A contactcenter beat --loglevel=INFO --schedule="${TMPDIR:-/tmp}/cc-celerybeat-schedule" &
  pids="$pids $!"
else
  echo "Embedded mode: SQLite, in-memory channel layer, in-process timers."
fi
echo "Serving on http://$HOST:$PORT/"
"$BIN/daphne" -b "$HOST" -p "$PORT" contactcenter.asgi:application &
pids="$pids $!"
wait $!
