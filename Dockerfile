# The sandbox in a container: `docker build -t pagopa-sandbox . && docker run -p 8080:8080 pagopa-sandbox`
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY simulator ./simulator
COPY scenarios ./scenarios
RUN pip install --no-cache-dir '.[postgres]'
ENV PAGOPA_SANDBOX_HOST=0.0.0.0 \
    PAGOPA_SANDBOX_PORT=8080 \
    PAGOPA_SANDBOX_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/_sandbox/v1/health', timeout=2)" || exit 1
CMD ["pagopa-sandbox", "serve"]
