"""HTTP surfaces: one blueprint per surface; errors mapped to responses in ``errors``."""
