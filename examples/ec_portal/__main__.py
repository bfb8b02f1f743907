"""``python -m examples.ec_portal``: the portal on http://127.0.0.1:5001, beside a sandbox on :8080.

Environment: ``SANDBOX_URL`` (default http://127.0.0.1:8080), ``PORTAL_URL`` (default
http://127.0.0.1:5001, the address the sandbox and the browser reach the portal at), ``PORT``,
``SANDBOX_TENANT`` (default: the sandbox's default tenant; e.g. the tenant a certification run gives).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from examples.ec_portal.app import create_app


def main() -> None:
    sandbox_url = os.environ.get("SANDBOX_URL", "http://127.0.0.1:8080")
    public_url = os.environ.get("PORTAL_URL", "http://127.0.0.1:5001")
    port = int(os.environ.get("PORT") or urlsplit(public_url).port or 5001)
    tenant = os.environ.get("SANDBOX_TENANT") or None
    create_app(sandbox_url, public_url, tenant=tenant).run(host="127.0.0.1", port=port)


if __name__ == "__main__":
    main()
