"""Comune di Esempio: a small EC portal that pays its dues through the pagoPA sandbox."""

from examples.ec_portal.app import create_app

__all__ = ["create_app"]
