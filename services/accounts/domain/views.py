"""Rows to contract views (no secret ever leaves through a view)."""

from __future__ import annotations

from datetime import datetime

from libs.contracts.accounts import FACTOR_ROLES, AccountView, SignInAuditEntry


def account_view(row, locked_until: datetime | None = None) -> AccountView:
    return AccountView(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        agency=row.agency_code,
        active=row.active,
        totp_enabled=row.totp_sealed is not None,
        factor_required=row.role in FACTOR_ROLES,
        must_change_password=row.must_change_password,
        locked_until=locked_until,
        external=row.external_id is not None,
        created_at=row.created_at,
        last_sign_in_at=row.last_sign_in_at,
    )


def audit_entry(row) -> SignInAuditEntry:
    return SignInAuditEntry(
        id=row.id,
        at=row.at,
        event=row.event,
        username=row.username,
        actor=row.actor,
        ip=row.ip,
        user_agent=row.user_agent,
        detail=row.detail or {},
    )
