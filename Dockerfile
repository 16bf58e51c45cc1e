# digestbot in a container: `docker compose up` starts it with PostgreSQL (see compose.yaml and README).
# Dependencies come from uv.lock, so the image holds exactly the versions the tests ran with.

FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
RUN python -m pip install --no-cache-dir uv==0.13.9
WORKDIR /app
# The dependencies first, in their own layer: it is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --extra charts --no-install-project
COPY README.md config.example.yaml ./
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
COPY examples ./examples
RUN uv sync --locked --no-dev --extra charts --no-editable

FROM python:3.11-slim
RUN groupadd --system digestbot && useradd --system --gid digestbot --home-dir /app digestbot \
    && mkdir -p /data /etc/digestbot && chown digestbot:digestbot /data
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/config.example.yaml /etc/digestbot/config.yaml
COPY --from=build /app/examples /app/examples
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DIGESTBOT_CONFIG=/etc/digestbot/config.yaml \
    DIGESTBOT_DATABASE_URL=sqlite:////data/digestbot.db
USER digestbot
WORKDIR /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('DIGESTBOT_HEALTH_PORT', '3000') + '/healthz', timeout=4)"]
ENTRYPOINT ["digestbot"]
CMD ["run"]
