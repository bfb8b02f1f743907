"""Helpers for testing against the sandbox: a headless client for the checkout pages."""
