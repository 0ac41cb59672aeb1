"""Single sign-on against a small OpenID Connect provider started by the test, through a gateway configured
for it (a second gateway process on the running system's broker): roles and agency from claims, verified ID
tokens."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from devtools import devstack
from devtools.testing import wait_for

from .staff_accounts_support import admin_headers, cookies_of, create_account

pytestmark = pytest.mark.e2e
CLIENT_ID, CLIENT_SECRET = "hientruong-console", "s3cret-" + uuid.uuid4().hex


def _serve(cmd: list[str], env: dict, log: Path, url: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, cwd=devstack.ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)

    def up() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return proc.poll() is not None

    wait_for(lambda: up(), bool, timeout=60, what=f"{cmd[-1]} to listen")
    assert proc.poll() is None, log.read_text()
    return proc


@pytest.fixture(scope="module")
def sso(system, tmp_path_factory):
    """(provider URL, SSO gateway URL): both processes stopped at the end of the module."""
    logs = tmp_path_factory.mktemp("sso")
    idp_port, gw_port = devstack.free_port(), devstack.free_port()
    issuer = f"http://127.0.0.1:{idp_port}"
    idp = _serve(
        [sys.executable, "tests/e2e/oidc_provider.py", str(idp_port), CLIENT_ID, CLIENT_SECRET],
        dict(system.env()),
        logs / "idp.log",
        f"{issuer}/.well-known/openid-configuration",
    )
    env = {
        **system.env(),
        "GATEWAY_PORT": str(gw_port),
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_ROLE_MAP": "ioc-staff:operator,it-admins:administrator",
    }
    gateway = _serve(
        devstack.gateway_command(), env, logs / "gateway.log", f"http://127.0.0.1:{gw_port}/health"
    )
    yield issuer, f"http://127.0.0.1:{gw_port}"
    for proc in (gateway, idp):
        proc.terminate()
        proc.wait(20)


def sign_in_via_provider(sso, claims: dict, tamper: str | None = None) -> httpx.Response:
    """Start at the gateway, let the provider approve, come back: the callback's answer (a 303)."""
    issuer, gateway = sso
    httpx.post(f"{issuer}/test/next-user", json={"claims": claims, "tamper": tamper}).raise_for_status()
    with httpx.Client(timeout=20) as c:
        start = c.get(f"{gateway}/v1/auth/oidc/start")
        assert start.status_code == 303, start.text
        state_cookie = cookies_of(start)["ht_oidc"]
        assert state_cookie["samesite"].lower() == "lax" and state_cookie["flags"] == {"httponly", "secure"}
        back = c.get(start.headers["location"])  # the provider approves at once
        assert back.status_code == 302, back.text
        return c.get(back.headers["location"], headers={"Cookie": f"ht_oidc={state_cookie['value']}"})


def claims(role, agency: str | None = None, username: str | None = None) -> dict:
    name = username or f"sso{uuid.uuid4().hex[:8]}"
    found = {"sub": str(uuid.uuid4()), "preferred_username": name, "name": "Lê Văn SSO", "ht_roles": role}
    return {**found, "ht_agency": agency} if agency else found


def test_the_methods_say_whether_sso_is_offered(client_for_system, sso):
    assert client_for_system.get("/v1/auth/methods").json()["oidc"] is False
    assert httpx.get(f"{sso[1]}/v1/auth/methods").json()["oidc"] is True


def test_an_operator_from_the_provider_gets_a_session_with_the_mapped_role(sso, system):
    who = claims(["staff", "ioc-staff"])
    done = sign_in_via_provider(sso, who)
    assert done.status_code == 303 and done.headers["location"] == "/staff/"
    jar = {name: c["value"] for name, c in cookies_of(done).items() if c["value"]}
    assert {"ht_access", "ht_refresh"} <= set(jar)
    cookie = {"Cookie": f"ht_access={jar['ht_access']}"}
    me = httpx.get(f"{sso[1]}/v1/auth/session", headers=cookie).json()
    assert me["account"]["role"] == "operator" and me["account"]["external"] is True
    assert httpx.get(f"{sso[1]}/v1/operator/queue", headers=cookie).status_code == 200
    # an administrator disables the account: the cookie stops working and the next SSO sign-in is refused
    httpx.post(
        f"{system.base_url}/v1/admin/accounts/{who['preferred_username']}/disable",
        headers=admin_headers(system),
    ).raise_for_status()
    assert httpx.get(f"{sso[1]}/v1/operator/queue", headers=cookie).status_code == 401
    again = sign_in_via_provider(sso, who)
    assert again.headers["location"] == "/staff/?sso_error=ACCOUNT_DISABLED"


def test_agency_staff_get_their_agency_from_the_claims(sso):
    done = sign_in_via_provider(sso, claims("agency_officer", "UBND_18073"))
    access = cookies_of(done)["ht_access"]["value"]
    me = httpx.get(f"{sso[1]}/v1/auth/session", headers={"Cookie": f"ht_access={access}"}).json()
    assert (me["account"]["role"], me["account"]["agency"]) == ("agency_officer", "UBND_18073")


@pytest.mark.parametrize(
    "tamper, who, reason",
    [
        ("nonce", None, "the%20ID%20token%20did%20not%20verify"),
        ("key", None, "the%20ID%20token%20did%20not%20verify"),
        (None, claims(["citizen"]), "the%20provider%20grants%20no%20staff%20role%20to%20this%20user"),
    ],
)
def test_unverifiable_tokens_and_users_without_a_staff_role_get_no_session(sso, tamper, who, reason):
    done = sign_in_via_provider(sso, who or claims("ioc-staff"), tamper)
    assert done.headers["location"] == f"/staff/?sso_error={reason}"
    assert "ht_access" not in cookies_of(done)


def test_a_local_account_is_never_taken_over_by_a_provider_identity(sso, system, client_for_system):
    local = create_account(client_for_system, system, "operator")["account"]["username"]
    done = sign_in_via_provider(sso, claims("ioc-staff", username=local))
    assert done.headers["location"] == "/staff/?sso_error=ACCOUNT_CONFLICT"


def test_a_callback_without_the_state_cookie_is_refused(sso):
    issuer, gateway = sso
    httpx.post(f"{issuer}/test/next-user", json={"claims": claims("ioc-staff")}).raise_for_status()
    start = httpx.get(f"{gateway}/v1/auth/oidc/start")
    back = httpx.get(start.headers["location"])
    query = parse_qs(urlparse(back.headers["location"]).query)
    done = httpx.get(
        f"{gateway}/v1/auth/oidc/callback", params={"code": query["code"][0], "state": query["state"][0]}
    )
    assert done.status_code == 303 and "sso_error" in done.headers["location"]


@pytest.fixture
def client_for_system(system):
    with httpx.Client(base_url=system.base_url, timeout=20) as c:
        yield c
