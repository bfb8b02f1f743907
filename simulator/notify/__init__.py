"""The proposal's notifications: the outbox, Standard Webhooks signatures, retries and the
background delivery. The only package that makes outbound HTTP calls (through ``transport``).

    outbox.py    enqueue(tx, ...): rows written in the caller's transaction, one per endpoint
    worker.py    Notifier.deliver_due(): claim (a lease), sign, send, log the attempt, reschedule
    transport.py the seam: RequestsTransport in production, MockTransport in tests
    signing.py   webhook-id / webhook-timestamp / webhook-signature (standardwebhooks)
    schedule.py  the retry schedule (pure)
"""
