#!/bin/sh
# Serve on $HOST:$PORT (default 127.0.0.1:8000). In production mode (DATABASE_URL and
# REDIS_URL set) also start a Celery worker and Celery beat beside the web process, and stop
# them when it stops. In the embedded default the timers run inside the web process (a
# ticker). The web process is daphne, or uvicorn with CC_ASGI_SERVER=uvicorn
# (contactcenter/asgi_server.py).
set -eu
BIN=${BIN:-.venv/bin}
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
STATE_DIR=${STATE_DIR:-.run}
pids=""
cleanup() {
  trap - EXIT INT TERM
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Metrics of several processes (README "Health and metrics"): a fresh directory per start.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -type f -delete
fi
if [ -n "${DATABASE_URL:-}" ] && [ -n "${REDIS_URL:-}" ]; then
  echo "Production mode: PostgreSQL, Redis channel layer, Celery worker + beat."
  mkdir -p "$STATE_DIR"
  "$BIN/celery" -A contactcenter worker --loglevel=INFO --concurrency=2 &
  pids="$pids $!"
  "$BIN/celery" -A contactcenter beat --loglevel=INFO --schedule="$STATE_DIR/celerybeat-schedule" &
  pids="$pids $!"
else
  echo "Embedded mode: SQLite, in-memory channel layer, in-process timers."
fi
echo "Serving on http://$HOST:$PORT/"
"$BIN/python" -m contactcenter.asgi_server --host "$HOST" --port "$PORT" &
pids="$pids $!"
wait $!
