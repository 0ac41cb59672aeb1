"""Single sign-on with the province's OpenID Connect provider (authorization code flow with PKCE and a nonce).

Enabled when OIDC_ISSUER and OIDC_CLIENT_ID are set. PKCE and random values come from authlib, ID tokens are
verified with joserfc (authlib's JOSE library) against the provider's published keys: signature, issuer,
audience, expiry and nonce. Claims map to our account: username (`OIDC_USERNAME_CLAIM`), role
(`OIDC_ROLE_CLAIM`, a string or a list, through `OIDC_ROLE_MAP`) and agency (`OIDC_AGENCY_CLAIM`). The
provider decides how its users prove who they are (its own second factor); the accounts service records the
sign-in and keeps the session."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import jwt as pyjwt
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .settings import GatewaySettings

ROLE_PRECEDENCE = ("administrator", "operator", "agency_leader", "agency_officer")
STATE_TTL_S = 600
DISCOVERY_TTL_S = 3600


class SsoError(Exception):
    """The provider's answer cannot be used; `reason` is safe to show."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Provider:
    """The provider's endpoints and keys (discovery document, cached for an hour)."""

    settings: GatewaySettings
    metadata: dict | None = None
    keys: KeySet | None = None
    loaded_at: float = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self.settings.oidc_issuer and self.settings.oidc_client_id)

    async def load(self, http: httpx.AsyncClient) -> dict:
        if self.metadata is None or time.monotonic() - self.loaded_at > DISCOVERY_TTL_S:
            issuer = self.settings.oidc_issuer.rstrip("/")
            try:
                meta = (
                    (await http.get(f"{issuer}/.well-known/openid-configuration")).raise_for_status().json()
                )
                jwks = (await http.get(meta["jwks_uri"])).raise_for_status().json()
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                raise SsoError(f"provider unreachable: {type(exc).__name__}") from None
            self.metadata, self.keys, self.loaded_at = meta, KeySet.import_key_set(jwks), time.monotonic()
        return self.metadata

    async def authorization_url(
        self, http: httpx.AsyncClient, redirect_uri: str, key: str
    ) -> tuple[str, str]:
        """Where to send the browser, and the signed state cookie that must come back with the answer."""
        meta = await self.load(http)
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        query = {
            "response_type": "code",
            "client_id": self.settings.oidc_client_id,
            "redirect_uri": redirect_uri,
            "scope": self.settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        cookie = pyjwt.encode(
            {
                "state": state,
                "nonce": nonce,
                "verifier": verifier,
                "redirect_uri": redirect_uri,
                "exp": int(time.time()) + STATE_TTL_S,
                "aud": "oidc-state",
            },
            key,
            algorithm="HS256",
        )
        return f"{meta['authorization_endpoint']}?{urlencode(query)}", cookie

    async def identity(
        self, http: httpx.AsyncClient, code: str, state: str, cookie: str | None, key: str
    ) -> dict:
        """Exchange the code, verify the ID token, map its claims; may raise SsoError."""
        try:
            saved = pyjwt.decode(cookie or "", key, algorithms=["HS256"], audience="oidc-state")
        except pyjwt.InvalidTokenError:
            raise SsoError("the sign-in took too long or started elsewhere") from None
        if state != saved["state"]:
            raise SsoError("state mismatch")
        meta = await self.load(http)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": saved["redirect_uri"],
            "code_verifier": saved["verifier"],
            "client_id": self.settings.oidc_client_id,
        }
        auth = (
            (self.settings.oidc_client_id, self.settings.oidc_client_secret)
            if self.settings.oidc_client_secret
            else None
        )
        try:
            tokens = (await http.post(meta["token_endpoint"], data=form, auth=auth)).raise_for_status().json()
        except (httpx.HTTPError, ValueError):
            raise SsoError("the provider refused the code") from None
        return self.claims(tokens.get("id_token") or "", saved["nonce"])

    def claims(self, id_token: str, nonce: str) -> dict:
        """Verified claims of an ID token mapped to {username, display_name, role, agency, subject,
        issuer}."""
        s = self.settings
        try:
            token = jose_jwt.decode(id_token, self.keys, algorithms=["RS256", "ES256", "PS256"])
            jose_jwt.JWTClaimsRegistry(
                leeway=60,
                iss={"essential": True, "value": self.metadata.get("issuer", s.oidc_issuer)},
                aud={"essential": True, "value": s.oidc_client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(token.claims)
        except (JoseError, ValueError, TypeError):
            raise SsoError("the ID token did not verify") from None
        c = token.claims
        return {
            "issuer": c["iss"],
            "subject": c["sub"],
            "username": str(c.get(s.oidc_username_claim) or ""),
            "display_name": str(c.get("name") or c.get(s.oidc_username_claim) or c["sub"]),
            "role": self.role(c.get(s.oidc_role_claim)),
            "agency": c.get(s.oidc_agency_claim) or None,
        }

    def role(self, value) -> str:
        """The highest of our roles the claim grants (through OIDC_ROLE_MAP); SsoError when none."""
        values = value if isinstance(value, list) else [value] if value else []
        mapping = dict(pair.split(":", 1) for pair in self.settings.oidc_role_map.split(",") if ":" in pair)
        granted = {mapping.get(str(v), str(v)) for v in values}
        for role in ROLE_PRECEDENCE:
            if role in granted:
                return role
        raise SsoError("the provider grants no staff role to this user")
