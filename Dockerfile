# The image behind docker-compose.yml's web, worker, beat and migrate services.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var

RUN groupadd --system portal \
    && useradd --system --gid portal --home-dir /app --no-create-home --shell /usr/sbin/nologin portal

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the pins change.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Translations and static files are part of the image (static served by WhiteNoise).
# The throwaway key and in-memory broker exist only so the settings load during the build.
RUN export DEBUG=0 SECRET_KEY=build-only ENV_FILE= CELERY_BROKER_URL=memory:// \
        DATABASE_URL=sqlite:////tmp/build-only.sqlite3 \
    && python manage.py compiletranslations \
    && python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var/private \
    && chown -R portal:portal /app/var

USER portal

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--config", "docker/gunicorn.conf.py"]
