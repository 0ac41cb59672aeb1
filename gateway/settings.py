"""Gateway settings, from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """Where to listen, which broker to use, how long to wait for a service."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    gateway_host: str = Field("127.0.0.1", alias="GATEWAY_HOST")
    gateway_port: int = Field(8000, alias="GATEWAY_PORT")
    gateway_workers: int = Field(
        1,
        alias="GATEWAY_WORKERS",
        ge=1,
        le=16,
        description="uvicorn worker processes sharing the port (each its own broker "
        "connection, caches and metrics)",
    )
    trusted_proxies: str = Field(
        "127.0.0.1",
        validation_alias=AliasChoices("TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS"),
        description="Addresses or networks (comma separated) of the proxies whose "
        "X-Forwarded-For / X-Forwarded-Proto are believed; never `*`",
    )
    amqp_uri: str = Field("amqp://guest:guest@127.0.0.1:5672/", alias="AMQP_URI")
    rpc_timeout_s: float = Field(5.0, alias="RPC_TIMEOUT_S", gt=0)
    ready_timeout_s: float = Field(2.0, alias="READY_TIMEOUT_S", gt=0)
    categories_ttl_s: float = Field(60.0, alias="CATEGORIES_TTL_S", ge=0)
    jwt_secret: str = Field("", alias="HT_JWT_SECRET", description="Staff token signing key (≥ 32 bytes)")
    auth_allow_weak_key: bool = Field(False, alias="HT_AUTH_ALLOW_WEAK_KEY")
    grant_key: str = Field(
        "",
        alias="HT_GRANT_KEY",
        description="Signs the short-lived grants intake requires "
        "for reads of personal data (≥ 32 bytes; intake holds the same key)",
    )
    access_ttl: str = Field("15m", alias="HT_ACCESS_TTL", description="Lifetime of a signed-in access token")
    cookie_secure: bool = Field(
        True,
        alias="COOKIE_SECURE",
        description="Secure cookies (keep on; Chromium accepts them on http://127.0.0.1 and localhost)",
    )
    oidc_issuer: str = Field(
        "", alias="OIDC_ISSUER", description="OpenID Connect provider; empty: no single sign-on"
    )
    oidc_client_id: str = Field("", alias="OIDC_CLIENT_ID")
    oidc_client_secret: str = Field("", alias="OIDC_CLIENT_SECRET")
    oidc_redirect_uri: str = Field(
        "", alias="OIDC_REDIRECT_URI", description="Default: <this origin>/v1/auth/oidc/callback"
    )
    oidc_scopes: str = Field("openid profile email", alias="OIDC_SCOPES")
    oidc_label: str = Field("Đăng nhập một lần (SSO)", alias="OIDC_LABEL")
    oidc_username_claim: str = Field("preferred_username", alias="OIDC_USERNAME_CLAIM")
    oidc_role_claim: str = Field(
        "ht_roles", alias="OIDC_ROLE_CLAIM", description="A string or a list of strings"
    )
    oidc_agency_claim: str = Field("ht_agency", alias="OIDC_AGENCY_CLAIM")
    oidc_role_map: str = Field(
        "",
        alias="OIDC_ROLE_MAP",
        description="provider value:our role, comma separated "
        "(e.g. ioc:operator,admins:administrator); empty: values are our role names",
    )

    web_dist: str = Field(
        str(Path(__file__).resolve().parents[1] / "web" / "dist"),
        alias="WEB_DIST",
        description="The built web clients (`make web`)",
    )
    map_tile_url: str = Field(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        alias="MAP_TILE_URL",
        description="Map tiles of the web clients; empty: the ward cells alone",
    )
    map_attribution: str = Field("© OpenStreetMap contributors", alias="MAP_ATTRIBUTION")
    s3_endpoint: str = Field("", alias="S3_ENDPOINT")
    s3_public_endpoint: str = Field("", alias="S3_PUBLIC_ENDPOINT")
    # admission control (gateway/admission.py, docs/operations.md#admission-control); 0 = no limit
    read_burst: int = Field(
        120,
        alias="ADMISSION_READ_BURST",
        ge=0,
        description="Public reads a client IP may make at once (then READ_PER_MINUTE)",
    )
    read_per_minute: float = Field(600, alias="ADMISSION_READ_PER_MINUTE", ge=0)
    key_read_burst: int = Field(
        600,
        alias="ADMISSION_KEY_READ_BURST",
        ge=0,
        description="Public reads per Open311 api_key at once (on top of its IP's)",
    )
    key_read_per_minute: float = Field(3000, alias="ADMISSION_KEY_READ_PER_MINUTE", ge=0)
    write_burst: int = Field(
        60,
        alias="ADMISSION_WRITE_BURST",
        ge=0,
        description="Anonymous writes (submissions, uploads...) a client IP may make at once",
    )
    write_per_minute: float = Field(120, alias="ADMISSION_WRITE_PER_MINUTE", ge=0)
    refusal_delay_s: float = Field(
        1.0,
        alias="ADMISSION_REFUSAL_DELAY_S",
        ge=0,
        description="A 429 is sent this late (a flooding client slows down)",
    )
    max_delayed: int = Field(
        256,
        alias="ADMISSION_MAX_DELAYED",
        ge=0,
        description="429s held back at once per process (beyond: sent at once)",
    )
    max_in_flight_reads: int = Field(
        8,
        alias="ADMISSION_MAX_IN_FLIGHT_READS",
        ge=0,
        description="Public reads in progress per process (503 beyond); keep replicas "
        "× this near intake_reads' workers (writes never wait for them)",
    )
    max_in_flight_writes: int = Field(64, alias="ADMISSION_MAX_IN_FLIGHT_WRITES", ge=0)
    admission_exempt: str = Field(
        "127.0.0.0/8,::1/128",
        alias="ADMISSION_EXEMPT_IPS",
        description="Client networks without per-client buckets (local tools: the benches); "
        "the in-flight bounds still apply",
    )
    max_in_flight_staff: int = Field(64, alias="ADMISSION_MAX_IN_FLIGHT_STAFF", ge=0)

    @field_validator("trusted_proxies")
    @classmethod
    def _no_wildcard(cls, value: str) -> str:
        """Trusting every peer would let any client choose its address (and so its rate limits)."""
        if "*" in value:
            raise ValueError("TRUSTED_PROXIES: name the proxies' addresses or networks, never `*`")
        return value

    @property
    def access_lifetime(self):
        """HT_ACCESS_TTL as a timedelta (may raise ValueError)."""
        from libs.auth.tokens import parse_ttl

        return parse_ttl(self.access_ttl)

    @property
    def media_origin(self) -> str:
        """Where photo URLs point (the object store's public endpoint): the pages may show images from
        there."""
        return self.s3_public_endpoint or self.s3_endpoint

    streams_per_reader: int = Field(
        3,
        alias="NOTIFY_STREAMS_PER_READER",
        gt=0,
        description="Open notification streams and long-polls per token, per process",
    )
    streams_per_ip: int = Field(
        30,
        alias="NOTIFY_STREAMS_PER_IP",
        gt=0,
        description="Open notification streams and long-polls per client IP, per process",
    )
    max_body_bytes: int = Field(
        256 * 1024,
        alias="BODY_MAX_BYTES",
        gt=0,
        description="Largest JSON body of an ordinary API route (413 beyond)",
    )
    form_max_body_bytes: int = Field(
        64 * 1024, alias="FORM_MAX_BODY_BYTES", gt=0, description="Largest urlencoded Open311 POST"
    )
    open311_max_body_bytes: int = Field(
        100 * 1024 * 1024,
        alias="OPEN311_MAX_BODY_BYTES",
        gt=0,
        description="Largest multipart Open311 POST (all `media` parts together; "
        "never more than the upload limit)",
    )
    geometry_max_body_bytes: int = Field(
        16 * 1024 * 1024,
        alias="GEOMETRY_MAX_BODY_BYTES",
        gt=0,
        description="Largest ward-geometry upload (administrators)",
    )
    body_idle_timeout_s: float = Field(
        15.0,
        alias="BODY_IDLE_TIMEOUT_S",
        gt=0,
        description="A request body that pauses longer is cut off (408)",
    )
    body_timeout_s: float = Field(
        30.0,
        alias="BODY_TIMEOUT_S",
        gt=0,
        description="Time to receive a whole JSON or form body (408 beyond)",
    )
    upload_body_timeout_s: float = Field(
        600.0, alias="UPLOAD_BODY_TIMEOUT_S", gt=0, description="Time to receive a whole upload (408 beyond)"
    )
    metrics_token: str = Field(
        "", alias="METRICS_TOKEN", description="When set, /metrics requires `Authorization: Bearer <token>`"
    )

    @property
    def grant_signing_key(self) -> str:
        """HT_GRANT_KEY; refuses a short one (may raise ValueError)."""
        from libs.auth.grants import check_grant_key

        return check_grant_key(self.grant_key)

    @property
    def jwt_key(self) -> str:
        """The signing key; refuses an empty or placeholder key (may raise WeakSigningKey)."""
        from libs.auth.tokens import check_signing_key

        return check_signing_key(self.jwt_secret, self.auth_allow_weak_key)
