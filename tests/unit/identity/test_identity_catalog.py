"""The service catalog built from [keystone] options."""

import pytest

from cirrus.conf import build_config
from cirrus.identity import catalog


def _conf(endpoint="http://cloud.example:8774", region="RegionTwo"):
    return build_config(
        overrides={"keystone": {"public_endpoint": endpoint, "region_name": region}}
    )


def _by_type(entries):
    return {e["type"]: e for e in entries}


def test_every_service_with_its_url():
    entries = _by_type(catalog.build_catalog(_conf(), "p1"))
    urls = {t: e["endpoints"][0]["url"] for t, e in entries.items()}
    assert urls == {
        "compute": "http://cloud.example:8774/compute/v2.1",
        "identity": "http://cloud.example:8774/identity",
        "image": "http://cloud.example:8774/image",
        "network": "http://cloud.example:8774/network",
        "volumev3": "http://cloud.example:8774/volume/v3/p1",
        "block-storage": "http://cloud.example:8774/volume/v3/p1",
        "placement": "http://cloud.example:8774/placement",
    }


def test_entry_shape():
    for entry in catalog.build_catalog(_conf(), "p1"):
        assert set(entry) == {"id", "name", "type", "endpoints"}
        (endpoint,) = entry["endpoints"]
        assert set(endpoint) == {"id", "interface", "region", "region_id", "url"}
        assert endpoint["interface"] == "public"
        assert endpoint["region"] == endpoint["region_id"] == "RegionTwo"


def test_ids_are_stable_and_distinct():
    one = catalog.build_catalog(_conf(), "p1")
    two = catalog.build_catalog(_conf(), "p2")
    assert [e["id"] for e in one] == [e["id"] for e in two]
    ids = [e["id"] for e in one] + [e["endpoints"][0]["id"] for e in one]
    assert len(set(ids)) == len(ids)


def test_region_changes_endpoint_ids():
    a = catalog.build_catalog(_conf(region="A"), "p")[0]["endpoints"][0]["id"]
    b = catalog.build_catalog(_conf(region="B"), "p")[0]["endpoints"][0]["id"]
    assert a != b


def test_trailing_slash_on_the_endpoint():
    entries = _by_type(catalog.build_catalog(_conf("http://h:1/"), "p"))
    assert entries["compute"]["endpoints"][0]["url"] == "http://h:1/compute/v2.1"


def test_no_project_leaves_out_per_project_services():
    types = {e["type"] for e in catalog.build_catalog(_conf(), None)}
    assert "volumev3" not in types and "block-storage" not in types
    assert "compute" in types


def test_identity_url():
    assert catalog.identity_url(_conf("http://h:5/")) == "http://h:5/identity"


def test_endpoint_url_needs_a_project_for_placeholders():
    with pytest.raises(ValueError, match="project"):
        catalog.endpoint_url("http://h", "/volume/v3/$(project_id)s", None)


def test_placement_served_on_its_own():
    conf = build_config(overrides={
        "keystone": {"public_endpoint": "http://cloud.example:8774"},
        "placement": {"endpoint_override": "http://placement.example:8778"}})
    urls = {e["type"]: e["endpoints"][0]["url"] for e in catalog.build_catalog(conf, "p1")}
    assert urls["placement"] == "http://placement.example:8778"
    assert urls["compute"] == "http://cloud.example:8774/compute/v2.1"
