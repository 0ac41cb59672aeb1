"""Tables of the accounts service (schema `accounts`): staff accounts, their sessions, sign-in challenges,
failure throttles and the append-only sign-in audit.

No secret is stored in the clear: passwords as argon2id hashes, refresh tokens and challenge tokens as SHA-256
digests, TOTP secrets sealed (Fernet), throttle keys as HMACs.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

SCHEMA = "accounts"
metadata = sa.MetaData(schema=SCHEMA)
TS = sa.DateTime(timezone=True)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("username", sa.Text, nullable=False, unique=True),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("agency_code", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("password_hash", sa.Text, comment="argon2id; NULL for accounts that sign in through OIDC only"),
    sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("totp_sealed", sa.Text, comment="the TOTP secret, sealed; NULL until enrolled"),
    sa.Column("totp_last_step", sa.BigInteger, comment="last accepted time step (a code is used once)"),
    sa.Column("external_id", sa.Text, unique=True, comment="issuer|subject of the OIDC identity"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("last_sign_in_at", TS),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("account_id", UUID(as_uuid=True), sa.ForeignKey(accounts.c.id), nullable=False),
    sa.Column("refresh_hash", sa.LargeBinary, nullable=False, unique=True),
    sa.Column(
        "previous_hash", sa.LargeBinary, comment="the refresh token it replaced: presenting it again is reuse"
    ),
    sa.Column("rotated_at", TS),
    sa.Column("method", sa.Text, nullable=False, comment="password | oidc"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("last_seen_at", TS, nullable=False),
    sa.Column("idle_expires_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("revoked_at", TS),
    sa.Column("revoke_reason", sa.Text),
    sa.Column("ip", sa.Text),
    sa.Column("user_agent", sa.Text),
    sa.Index("ix_sessions_account_live", "account_id", postgresql_where=sa.text("revoked_at IS NULL")),
)

challenges = sa.Table(
    "challenges",
    metadata,
    sa.Column("token_hash", sa.LargeBinary, primary_key=True),
    sa.Column("account_id", UUID(as_uuid=True), sa.ForeignKey(accounts.c.id), nullable=False),
    sa.Column("step", sa.Text, nullable=False, comment="change_password | enrol_totp | totp"),
    sa.Column("pending_totp_sealed", sa.Text, comment="the secret being enrolled"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
)

throttles = sa.Table(
    "throttles",
    metadata,
    sa.Column("key", sa.Text, primary_key=True, comment="HMAC of scope and username or IP"),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("window_started_at", TS, nullable=False),
    sa.Column("not_before", TS),
    sa.Column("locked_until", TS),
    sa.Column("updated_at", TS, nullable=False),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("at", TS, nullable=False, server_default=sa.func.now()),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("account_id", UUID(as_uuid=True)),
    sa.Column("username", sa.Text),
    sa.Column("actor", sa.Text, comment="the administrator, for account changes"),
    sa.Column("ip", sa.Text),
    sa.Column("user_agent", sa.Text),
    sa.Column("detail", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Index("ix_audit_username", "username", "id"),
    comment="append-only: a trigger refuses UPDATE, DELETE and TRUNCATE",
)
