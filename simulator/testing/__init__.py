"""Testing against the sandbox: the checkout pages without a browser, signature checks, a client
of one tenant, and the pytest plugin (``pagopa_sandbox``)."""
