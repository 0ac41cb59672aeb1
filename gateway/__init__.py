"""The HTTP edge: JSON API under /v1 (and, later, Open311 GeoReport v2), over nameko RPC."""
