# The sandbox in a container:
#   docker build -t pagopa-sandbox . && docker run -p 8080:8080 -v sandbox-data:/data pagopa-sandbox
# compose.yaml runs it with PostgreSQL. tests/system/test_container.py lints this file (hadolint)
# and runs its command outside Docker; the image build itself is not tested here.
FROM python:3.11-slim

LABEL org.opencontainers.image.title="pagoPA Checkout Sandbox" \
      org.opencontainers.image.description="An offline, scriptable sandbox of the pagoPA payment flow: Checkout, GPD and the node." \
      org.opencontainers.image.licenses="EUPL-1.2" \
      org.opencontainers.image.version="0.1.0"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An unprivileged user that owns the data volume and nothing else.
RUN groupadd --system --gid 10001 sandbox \
 && useradd --system --uid 10001 --gid sandbox --home-dir /data --no-create-home --shell /usr/sbin/nologin sandbox \
 && mkdir /data \
 && chown sandbox:sandbox /data

WORKDIR /app

# Dependencies first, from pyproject.toml alone: a change to the code does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" > /tmp/requirements.txt \
 && pip install --requirement /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Then the code, installed without touching the dependencies.
COPY README.md ./
COPY scenarios ./scenarios
COPY simulator ./simulator
RUN pip install --no-deps .

ENV PAGOPA_SANDBOX_HOST=0.0.0.0 \
    PAGOPA_SANDBOX_PORT=8080 \
    PAGOPA_SANDBOX_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER 10001:10001
WORKDIR /data

# Probes the port the sandbox was given (PAGOPA_SANDBOX_PORT), not a fixed one.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-m", "simulator.healthcheck"]

CMD ["pagopa-sandbox", "serve"]
