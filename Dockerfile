# One image for every production process: web (daphne), worker (celery worker) and beat
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
RUN python manage.py collectstatic --noinput -v 0 \
    && useradd --system --uid 10001 --home-dir /app --no-create-home app \
    && mkdir -p /app/media \
    && chown -R app /app/media /app/staticfiles
USER app

EXPOSE 8000
# The web process; worker and beat override the command in docker-compose.yml.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec daphne -b 0.0.0.0 -p 8000 contactcenter.asgi:application"]
