"""pagoPA Checkout Sandbox: an offline simulator of the pagoPA payment flow."""

__version__ = "0.1.0"
