"""Open311 GeoReport v2 core: pure parsing, mapping and rendering for the gateway (no web framework)."""
