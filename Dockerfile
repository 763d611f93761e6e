# One image for every production process: web (daphne, or uvicorn with CC_ASGI_SERVER=uvicorn), worker (celery worker) and beat
# (celery beat); docker-compose.yml picks the command. Settings come from the environment
# (DATABASE_URL, REDIS_URL, CC_SECRET_KEY, CC_ALLOWED_HOSTS).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first (pyproject.toml alone), so code changes reuse this layer. The project
# itself installs no packages: the code runs from /app.
COPY pyproject.toml ./
RUN pip install .

COPY . .
# collectstatic loads the settings, which need a key: a throwaway one, so that no key (nor
# a generated key file) is baked into the image.
RUN CC_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --noinput -v 0 \
    && useradd --system --uid 10001 --home-dir /app --no-create-home app \
    && mkdir -p /app/media /app/metrics \
    && chown -R app /app/media /app/metrics /app/staticfiles
USER app

EXPOSE 8000
# The web process; migrate, worker and beat override the command in docker-compose.yml.
# Migrations are not run here: once per deployment (`python manage.py migrate --noinput`,
# the compose file's one-shot migrate service), not in every web container.
# The ASGI server is chosen by CC_ASGI_SERVER (daphne by default; contactcenter/asgi_server.py).
CMD ["python", "-m", "contactcenter.asgi_server", "--host", "0.0.0.0", "--port", "8000"]
