"""/os-keypairs: status codes and keys by microversion, import/generate, users, paging."""

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from cirrus.objects import quota as quota_obj

from .conftest import ADMIN, MEMBER, OTHER, Deployment

BASE = "http://h/compute"
RAW = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
FINGERPRINT = re.compile(r"^([0-9a-f]{2}:){15}[0-9a-f]{2}$")


def _ed25519() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).decode() + " me@example"


def _create(dep: Deployment, name: str, *, who: dict = MEMBER, version: str = "2.2",
            **extra: object):
    return dep.call("POST", "/os-keypairs", who=who, version=version,
                    json={"keypair": {"name": name, **extra}})


@pytest.mark.parametrize(("version", "status", "keys"), [
    ("2.1", 200, {"name", "public_key", "fingerprint", "user_id"}),
    ("2.2", 201, {"name", "public_key", "fingerprint", "user_id", "type"}),
])
def test_import_status_and_keys(dep: Deployment, version: str, status: int, keys: set):
    public = _ed25519()
    resp = _create(dep, "imported", version=version, public_key=public)
    assert resp.status_code == status, resp.text
    body = resp.json()["keypair"]
    assert set(body) == keys
    assert body["public_key"] == public
    assert body["user_id"] == "u1"
    assert FINGERPRINT.match(body["fingerprint"])


def test_fingerprint_is_openssh_md5(dep: Deployment):
    # OpenSSH's MD5 fingerprint: colon-separated hex of the MD5 of the key blob.
    public = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    digest = hashlib.md5(base64.b64decode(public.split()[1])).hexdigest()
    expected = ":".join(digest[i:i + 2] for i in range(0, 32, 2))
    body = _create(dep, "k", public_key=public).json()["keypair"]
    assert body["fingerprint"] == expected


def test_import_ecdsa_and_rsa_types(dep: Deployment):
    ecdsa = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    assert _create(dep, "ec", public_key=ecdsa).status_code == 201


@pytest.mark.parametrize("public_key", ["garbage", "ssh-rsa AAAA", "ssh-rsa not-base64!", ""])
def test_import_rejects_bad_keys(dep: Deployment, public_key: str):
    resp = _create(dep, "bad", public_key=public_key)
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"] == \
        "Keypair data is invalid: failed to generate fingerprint"


def test_generate(dep: Deployment):
    resp = _create(dep, "made")
    assert resp.status_code == 201
    body = resp.json()["keypair"]
    assert set(body) == {"name", "public_key", "fingerprint", "user_id", "type", "private_key"}
    assert body["type"] == "ssh"
    assert body["public_key"].startswith("ssh-rsa ")
    assert "PRIVATE KEY" in body["private_key"]
    private = serialization.load_pem_private_key(body["private_key"].encode(), None)
    derived = private.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                serialization.PublicFormat.OpenSSH).decode()
    assert body["public_key"].startswith(derived)
    assert "private_key" not in dep.get("/os-keypairs/made", who=MEMBER).json()["keypair"]


def test_generate_x509(dep: Deployment):
    body = _create(dep, "cert", type="x509").json()["keypair"]
    assert body["type"] == "x509"
    assert body["public_key"].startswith("-----BEGIN CERTIFICATE-----")
    assert len(body["fingerprint"].split(":")) == 20
    again = _create(dep, "cert2", type="x509", public_key=body["public_key"]).json()
    assert again["keypair"]["fingerprint"] == body["fingerprint"]


def test_show_keys(dep: Deployment):
    _create(dep, "k1", public_key=_ed25519())
    old = dep.get("/os-keypairs/k1", who=MEMBER, version="2.1").json()["keypair"]
    assert set(old) == {"name", "public_key", "fingerprint", "user_id", "created_at",
                        "deleted", "deleted_at", "id", "updated_at"}
    assert RAW.match(old["created_at"])
    assert (old["deleted"], old["deleted_at"], old["updated_at"]) == (False, None, None)
    assert isinstance(old["id"], int)
    new = dep.get("/os-keypairs/k1", who=MEMBER, version="2.2").json()["keypair"]
    assert set(new) == set(old) | {"type"}
    missing = dep.get("/os-keypairs/nope", who=MEMBER)
    assert missing.status_code == 404
    assert missing.json()["itemNotFound"]["message"] == "Keypair nope not found for user u1"


def test_list_shapes(dep: Deployment):
    _create(dep, "b", public_key=_ed25519())
    _create(dep, "a", public_key=_ed25519())
    old = dep.get("/os-keypairs", who=MEMBER, version="2.1").json()
    assert set(old) == {"keypairs"}
    assert [k["keypair"]["name"] for k in old["keypairs"]] == ["a", "b"]
    assert all(set(k) == {"keypair"} for k in old["keypairs"])
    assert all(set(k["keypair"]) == {"name", "public_key", "fingerprint"}
               for k in old["keypairs"])
    new = dep.get("/os-keypairs", who=MEMBER, version="2.2").json()
    assert all(set(k["keypair"]) == {"name", "public_key", "fingerprint", "type"}
               for k in new["keypairs"])
    assert dep.get("/os-keypairs", who=OTHER).json() == {"keypairs": []}


def test_paging(dep: Deployment):
    for name in ("a", "b", "c"):
        _create(dep, name, public_key=_ed25519())
    page = dep.get("/os-keypairs", who=MEMBER, version="2.35", params={"limit": "2"}).json()
    assert [k["keypair"]["name"] for k in page["keypairs"]] == ["a", "b"]
    assert page["keypairs_links"] == [
        {"rel": "next", "href": f"{BASE}/v2.1/os-keypairs?limit=2&marker=b"}]
    rest = dep.get("/os-keypairs", who=MEMBER, version="2.35",
                   params={"limit": "2", "marker": "b"}).json()
    assert [k["keypair"]["name"] for k in rest["keypairs"]] == ["c"]
    assert "keypairs_links" not in rest
    # Below 2.35 limit is not a paging parameter.
    old = dep.get("/os-keypairs", who=MEMBER, version="2.34", params={"limit": "1"}).json()
    assert len(old["keypairs"]) == 3
    bad = dep.get("/os-keypairs", who=MEMBER, version="2.35", params={"marker": "zz"})
    assert bad.status_code == 400
    assert bad.json()["badRequest"]["message"] == "Marker zz could not be found."


def test_admin_acts_for_other_users(dep: Deployment):
    made = _create(dep, "theirs", who=ADMIN, version="2.10", user_id="u2",
                   public_key=_ed25519())
    assert made.status_code == 201
    assert made.json()["keypair"]["user_id"] == "u2"
    listed = dep.get("/os-keypairs", version="2.10", params={"user_id": "u2"}).json()
    assert [k["keypair"]["name"] for k in listed["keypairs"]] == ["theirs"]
    assert dep.get("/os-keypairs", version="2.9", params={"user_id": "u2"}).json() == {
        "keypairs": []}
    shown = dep.get("/os-keypairs/theirs", version="2.10", params={"user_id": "u2"})
    assert shown.status_code == 200
    assert dep.get("/os-keypairs/theirs", who=OTHER).status_code == 200
    denied = dep.get("/os-keypairs", who=MEMBER, version="2.10", params={"user_id": "u2"})
    assert denied.status_code == 403
    assert denied.json()["forbidden"]["message"] == \
        "Policy doesn't allow os_compute_api:os-keypairs:index to be performed."
    assert _create(dep, "x", who=MEMBER, version="2.10", user_id="u2").status_code == 403
    deleted = dep.call("DELETE", "/os-keypairs/theirs", version="2.10",
                       params={"user_id": "u2"})
    assert deleted.status_code == 204


def test_delete_status_codes(dep: Deployment):
    _create(dep, "one", public_key=_ed25519())
    _create(dep, "two", public_key=_ed25519())
    assert dep.call("DELETE", "/os-keypairs/one", who=MEMBER, version="2.1").status_code == 202
    assert dep.call("DELETE", "/os-keypairs/two", who=MEMBER, version="2.2").status_code == 204
    missing = dep.call("DELETE", "/os-keypairs/two", who=MEMBER)
    assert missing.status_code == 404


def test_duplicate_and_names(dep: Deployment):
    assert _create(dep, "dup", public_key=_ed25519()).status_code == 201
    again = _create(dep, "dup", public_key=_ed25519())
    assert again.status_code == 409
    assert again.json()["conflictingRequest"]["message"] == "Key pair 'dup' already exists."
    # The same name is fine for another user.
    assert _create(dep, "dup", who=OTHER, public_key=_ed25519()).status_code == 201
    for name in ("bad*name", " lead", "x" * 256, ""):
        resp = _create(dep, name, public_key=_ed25519())
        assert resp.status_code == 400, name
    lead = _create(dep, " lead", public_key=_ed25519()).json()["badRequest"]["message"]
    assert lead.startswith("An invalid 'name' value was provided.")
    bad_type = _create(dep, "t", type="pgp", public_key=_ed25519())
    assert bad_type.status_code == 400
    old_type = _create(dep, "t", version="2.1", type="ssh", public_key=_ed25519())
    assert old_type.status_code == 400


def test_quota(dep: Deployment):
    with dep.runtime.api_session() as s:
        quota_obj.set_limit(s, "p1", "key_pairs", 1)
    assert _create(dep, "first", public_key=_ed25519()).status_code == 201
    over = _create(dep, "second", public_key=_ed25519())
    assert over.status_code == 403
    assert over.json() == {"forbidden": {"code": 403,
                                         "message": "Quota exceeded, too many key pairs."}}
