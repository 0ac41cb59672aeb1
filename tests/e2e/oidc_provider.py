"""A small OpenID Connect provider for tests (authorization code flow with PKCE; RS256 ID tokens).

    python tests/e2e/oidc_provider.py PORT CLIENT_ID CLIENT_SECRET

It signs in whoever the test announced last (`POST /test/next-user` with the claims to put in the ID token)
and checks what a real provider checks: client id and secret, redirect URI, PKCE verifier, single-use codes.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import sys
import time
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey


def create_app(issuer: str, client_id: str, client_secret: str) -> FastAPI:
    app = FastAPI()
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
    state: dict = {"next": None, "codes": {}, "tamper": None}

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"],
        }

    @app.get("/jwks")
    def jwks() -> dict:
        return KeySet([key]).as_dict(private=False)

    @app.post("/test/next-user")
    async def next_user(request: Request) -> dict:
        body = await request.json()
        state["next"], state["tamper"] = body["claims"], body.get("tamper")
        return {"ok": True}

    @app.get("/authorize")
    def authorize(request: Request):
        q = request.query_params
        if (
            q.get("response_type") != "code"
            or q.get("client_id") != client_id
            or "openid" not in q.get("scope", "")
        ):
            raise HTTPException(400, "bad authorization request")
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge") or state["next"] is None:
            raise HTTPException(400, "PKCE required / nobody to sign in")
        code = secrets.token_urlsafe(24)
        state["codes"][code] = {
            "claims": state["next"],
            "nonce": q.get("nonce", ""),
            "challenge": q["code_challenge"],
            "redirect_uri": q.get("redirect_uri"),
            "tamper": state["tamper"],
        }
        return RedirectResponse(
            f"{q.get('redirect_uri')}?{urlencode({'code': code, 'state': q.get('state', '')})}",
            status_code=302,
        )

    @app.post("/token")
    def token(
        request: Request,
        grant_type: str = Form(),
        code: str = Form(),
        redirect_uri: str = Form(),
        code_verifier: str = Form(),
    ) -> dict:
        basic = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        grant = state["codes"].pop(code, None)  # single use
        if basic != expected or grant is None or grant_type != "authorization_code":
            raise HTTPException(400, "invalid_grant")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
        )
        if challenge != grant["challenge"] or redirect_uri != grant["redirect_uri"]:
            raise HTTPException(400, "invalid_grant (PKCE or redirect_uri)")
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **grant["claims"],
        }
        if grant["tamper"] == "nonce":
            claims["nonce"] = "another-nonce"
        signing = RSAKey.generate_key(2048) if grant["tamper"] == "key" else key
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, signing)
        return {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "id_token": id_token,
            "expires_in": 300,
        }

    return app


if __name__ == "__main__":
    port, cid, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    uvicorn.run(
        create_app(f"http://127.0.0.1:{port}", cid, secret), host="127.0.0.1", port=port, log_level="warning"
    )
