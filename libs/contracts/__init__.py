"""Wire contracts shared by every service and the gateway: pydantic only, no nameko, no SQLAlchemy."""
