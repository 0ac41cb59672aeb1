"""Intake's tables and the SQL over them (SQLAlchemy Core; the only modules that build statements)."""
