"""The proposal's notifications on the wire: the only package that makes outbound HTTP calls.
What is notified and when is decided by ``services.outbound`` and ``services.delivery``.

    transport.py    the seam: RequestsTransport in production, MockTransport in tests
    signing.py      webhook-id / webhook-timestamp / webhook-signature (standardwebhooks)
    destinations.py where a notification may go: never the sandbox itself; the allow list
"""
