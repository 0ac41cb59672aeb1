"""Gateway settings, from the environment."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """Where to listen, which broker to use, how long to wait for a service."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    gateway_host: str = Field("127.0.0.1", alias="GATEWAY_HOST")
    gateway_port: int = Field(8000, alias="GATEWAY_PORT")
    amqp_uri: str = Field("amqp://guest:guest@127.0.0.1:5672/", alias="AMQP_URI")
    rpc_timeout_s: float = Field(5.0, alias="RPC_TIMEOUT_S", gt=0)
    ready_timeout_s: float = Field(2.0, alias="READY_TIMEOUT_S", gt=0)
    max_upload_bytes: int = Field(15 * 1024 * 1024, alias="MEDIA_MAX_PHOTO_BYTES", gt=0)
    categories_ttl_s: float = Field(60.0, alias="CATEGORIES_TTL_S", ge=0)
    jwt_secret: str = Field("", alias="HT_JWT_SECRET", description="Staff token signing key (≥ 32 bytes)")
    auth_allow_weak_key: bool = Field(False, alias="HT_AUTH_ALLOW_WEAK_KEY")

    @property
    def jwt_key(self) -> str:
        """The signing key; refuses an empty or placeholder key (may raise WeakSigningKey)."""
        from libs.auth.tokens import check_signing_key

        return check_signing_key(self.jwt_secret, self.auth_allow_weak_key)
