"""/limits and /os-quota-sets: keys by microversion, usage, updates and policy."""

import pytest

from .conftest import ADMIN, MEMBER, OTHER, Deployment

COMMON_LIMITS = {"maxTotalRAMSize", "maxTotalCores", "maxTotalInstances", "maxTotalKeypairs",
                 "maxServerMeta", "maxServerGroups", "maxServerGroupMembers", "totalRAMUsed",
                 "totalCoresUsed", "totalInstancesUsed", "totalServerGroupsUsed"}
LIMITS_2_1 = COMMON_LIMITS | {"maxImageMeta", "maxPersonality", "maxPersonalitySize",
                              "maxSecurityGroups", "maxSecurityGroupRules",
                              "maxTotalFloatingIps", "totalSecurityGroupsUsed",
                              "totalFloatingIpsUsed"}
LIMITS_2_36 = COMMON_LIMITS | {"maxImageMeta", "maxPersonality", "maxPersonalitySize"}
LIMITS_2_39 = COMMON_LIMITS | {"maxPersonality", "maxPersonalitySize"}

QUOTA_2_57 = {"cores", "instances", "ram", "key_pairs", "metadata_items", "server_groups",
              "server_group_members"}
QUOTA_2_36 = QUOTA_2_57 | {"injected_files", "injected_file_content_bytes",
                           "injected_file_path_bytes"}
QUOTA_2_1 = QUOTA_2_36 | {"fixed_ips", "floating_ips", "security_groups",
                          "security_group_rules"}


@pytest.mark.parametrize(("version", "keys"), [
    (None, LIMITS_2_1), ("2.35", LIMITS_2_1), ("2.36", LIMITS_2_36), ("2.38", LIMITS_2_36),
    ("2.39", LIMITS_2_39), ("2.56", LIMITS_2_39), ("2.57", COMMON_LIMITS),
])
def test_limits_keys(dep: Deployment, version: str | None, keys: set):
    resp = dep.get("/limits", who=MEMBER, version=version)
    assert resp.status_code == 200
    body = resp.json()["limits"]
    assert body["rate"] == []
    assert set(body["absolute"]) == keys


def test_limits_values_and_usage(dep: Deployment):
    dep.add_server("cell1", project="p1")
    dep.add_server("cell2", project="p1", host="host3")
    dep.add_server("cell1", project="p2")
    absolute = dep.get("/limits", who=MEMBER, params={"reserved": "False"}).json()[
        "limits"]["absolute"]
    assert absolute["maxTotalInstances"] == 10
    assert absolute["maxTotalCores"] == 20
    assert absolute["maxTotalRAMSize"] == 51200
    assert absolute["maxTotalKeypairs"] == 100
    assert absolute["maxSecurityGroups"] == -1
    assert (absolute["totalInstancesUsed"], absolute["totalCoresUsed"],
            absolute["totalRAMUsed"]) == (2, 2, 1024)
    assert absolute["totalFloatingIpsUsed"] == 0


def test_limits_of_another_project(dep: Deployment):
    dep.add_server("cell1", project="p2")
    denied = dep.get("/limits", who=MEMBER, params={"tenant_id": "p2"})
    assert denied.status_code == 403
    assert denied.json()["forbidden"]["message"] == \
        "Policy doesn't allow os_compute_api:limits:other_project to be performed."
    admin = dep.get("/limits", who=ADMIN, params={"tenant_id": "p2"}).json()
    assert admin["limits"]["absolute"]["totalInstancesUsed"] == 1
    strict = dep.get("/limits", who=MEMBER, version="2.75", params={"reserved": "False"})
    assert strict.status_code == 400


@pytest.mark.parametrize(("version", "keys"), [
    ("2.1", QUOTA_2_1), ("2.35", QUOTA_2_1), ("2.36", QUOTA_2_36), ("2.56", QUOTA_2_36),
    ("2.57", QUOTA_2_57),
])
def test_quota_set_keys(dep: Deployment, version: str, keys: set):
    shown = dep.get("/os-quota-sets/p1", who=MEMBER, version=version)
    assert shown.status_code == 200
    body = shown.json()["quota_set"]
    assert set(body) == keys | {"id"}
    assert body["id"] == "p1"
    defaults = dep.get("/os-quota-sets/p1/defaults", who=MEMBER, version=version).json()
    assert set(defaults["quota_set"]) == keys | {"id"}
    detail = dep.get("/os-quota-sets/p1/detail", who=MEMBER, version=version).json()
    assert set(detail["quota_set"]) == keys | {"id"}
    assert detail["quota_set"]["cores"] == {"in_use": 0, "limit": 20, "reserved": 0}


def test_quota_values(dep: Deployment):
    body = dep.get("/os-quota-sets/p1", who=MEMBER).json()["quota_set"]
    assert body == {"id": "p1", "cores": 20, "instances": 10, "ram": 51200, "key_pairs": 100,
                    "metadata_items": 128, "server_groups": 10, "server_group_members": 10,
                    "injected_files": 5, "injected_file_content_bytes": 10240,
                    "injected_file_path_bytes": 255, "fixed_ips": -1, "floating_ips": -1,
                    "security_groups": -1, "security_group_rules": -1}


def test_quota_detail_usage(dep: Deployment):
    dep.add_server("cell1", project="p1")
    detail = dep.get("/os-quota-sets/p1/detail", who=MEMBER, version="2.57").json()
    values = detail["quota_set"]
    assert values["instances"] == {"in_use": 1, "limit": 10, "reserved": 0}
    assert values["ram"] == {"in_use": 512, "limit": 51200, "reserved": 0}
    assert values["key_pairs"] == {"in_use": 0, "limit": 100, "reserved": 0}


def test_quota_policy(dep: Deployment):
    other = dep.get("/os-quota-sets/p2", who=MEMBER)
    assert other.status_code == 403
    assert dep.get("/os-quota-sets/p2/detail", who=MEMBER).status_code == 403
    # Defaults are public.
    assert dep.get("/os-quota-sets/p2/defaults", who=MEMBER).status_code == 200
    assert dep.get("/os-quota-sets/p2", who=ADMIN).status_code == 200
    update = dep.call("PUT", "/os-quota-sets/p1", who=MEMBER,
                      json={"quota_set": {"cores": 5}})
    assert update.status_code == 403
    assert update.json()["forbidden"]["message"] == \
        "Policy doesn't allow os_compute_api:os-quota-sets:update to be performed."


def test_update(dep: Deployment):
    resp = dep.call("PUT", "/os-quota-sets/p1", version="2.57",
                    json={"quota_set": {"cores": 5, "instances": "3", "key_pairs": -1}})
    assert resp.status_code == 200, resp.text
    body = resp.json()["quota_set"]
    assert "id" not in body
    assert set(body) == QUOTA_2_57
    assert (body["cores"], body["instances"], body["key_pairs"]) == (5, 3, -1)
    shown = dep.get("/os-quota-sets/p1", who=MEMBER).json()["quota_set"]
    assert shown["cores"] == 5
    limits = dep.get("/limits", who=MEMBER).json()["limits"]["absolute"]
    assert limits["maxTotalCores"] == 5
    assert dep.get("/os-quota-sets/p2", who=OTHER).json()["quota_set"]["cores"] == 20


def test_update_below_usage(dep: Deployment):
    dep.add_server("cell1", project="p1")
    dep.add_server("cell1", project="p1")
    resp = dep.call("PUT", "/os-quota-sets/p1", json={"quota_set": {"instances": 1}})
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"] == (
        "Quota limit 1 for instances must be greater than or equal to already used and "
        "reserved 2.")
    forced = dep.call("PUT", "/os-quota-sets/p1",
                      json={"quota_set": {"instances": 1, "force": True}})
    assert forced.status_code == 200
    assert forced.json()["quota_set"]["instances"] == 1


@pytest.mark.parametrize(("version", "body"), [
    ("2.1", {"quota_set": {"cores": -2}}),
    ("2.1", {"quota_set": {"cores": "-2"}}),
    ("2.1", {"quota_set": {"cores": "many"}}),
    ("2.1", {"quota_set": {"bogus": 1}}),
    ("2.36", {"quota_set": {"floating_ips": 1}}),
    ("2.57", {"quota_set": {"injected_files": 1}}),
    ("2.1", {"cores": 1}),
])
def test_update_validation(dep: Deployment, version: str, body: dict):
    resp = dep.call("PUT", "/os-quota-sets/p1", version=version, json=body)
    assert resp.status_code == 400, resp.text
    assert "badRequest" in resp.json()
