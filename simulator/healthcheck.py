"""``python -m simulator.healthcheck``: exit 0 when the sandbox on this machine answers its health
check, 1 otherwise. The container's HEALTHCHECK runs it, so the probe follows the port the sandbox
was configured with (``PAGOPA_SANDBOX_PORT``) instead of a port written into the image."""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Mapping

TIMEOUT_SECONDS = 3.0


def health_url(environ: Mapping[str, str] = os.environ) -> str:
    port = environ.get("PAGOPA_SANDBOX_PORT") or "8080"
    return f"http://127.0.0.1:{port}/_sandbox/v1/health"


def main() -> int:
    url = health_url()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
