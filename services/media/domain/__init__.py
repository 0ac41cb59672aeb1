"""Media's pure rules: who sees which rendition, what to keep, when to retry (no nameko, no SQLAlchemy)."""
