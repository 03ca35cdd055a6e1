"""Typed client of the Placement API: microversions, consumer generations, 409 retries."""

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from cirrus import exception
from cirrus.objects.request_spec import RequestGroup

LOG = logging.getLogger(__name__)

VERSION = "1.39"
Resources = Mapping[str, int]
Allocations = Mapping[str, Resources]  # provider uuid -> resource class -> amount


def _resources_param(resources: Resources) -> str:
    return ",".join(f"{rc}:{amt}" for rc, amt in sorted(resources.items()) if amt)


def mapping_suffix(requester_id: str) -> str:
    """The key of a requester's group in an allocation request's ``mappings``."""
    return "_" + requester_id


def requester_of(suffix: str) -> str | None:
    """Inverse of :func:`mapping_suffix`; None for the unsuffixed (flavor) group."""
    return suffix[1:] if suffix.startswith("_") else None


class ConsumerGenerationConflict(exception.PlacementError):
    msg_fmt = "Consumer %(consumer)s changed concurrently."


def _is_concurrent_update(resp: httpx.Response) -> bool:
    if resp.status_code != 409:
        return False
    try:
        errors = resp.json().get("errors", [])
    except ValueError:
        return False
    return any(e.get("code") == "placement.concurrent_update" for e in errors)


class PlacementClient:
    """Placement over HTTP (in-process transport or a real URL).

    Args:
        http: the HTTP client; its base URL is placement's root.
        token: returns the token to send.
        retries: how often a write that lost a generation race is retried.
    """

    def __init__(self, http: httpx.Client, token: Callable[[], str], retries: int = 4) -> None:
        self._http = http
        self._token = token
        self._retries = retries

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        version: str = VERSION,
    ) -> httpx.Response:
        """One request with the microversion header."""
        headers = {"X-Auth-Token": self._token(), "OpenStack-API-Version": f"placement {version}"}
        return self._http.request(method, path, json=body, params=params, headers=headers)

    def _check(self, resp: httpx.Response, what: str) -> httpx.Response:
        if resp.status_code >= 400:
            raise exception.PlacementError(reason=f"{what}: {resp.status_code} {resp.text[:300]}")
        return resp

    # -- providers ---------------------------------------------------------------------

    def ensure_provider(self, uuid: str, name: str, parent: str | None = None) -> int:
        """Create the provider (a child of ``parent`` if given) if missing.

        Returns:
            Its generation.
        """
        resp = self.request("GET", f"/resource_providers/{uuid}")
        if resp.status_code == 200:
            return int(resp.json()["generation"])
        body = {"uuid": uuid, "name": name}
        if parent is not None:
            body["parent_provider_uuid"] = parent
        resp = self.request("POST", "/resource_providers", body)
        if resp.status_code == 409:
            # A provider of the same name from an earlier node record: replace it.
            old = self.request("GET", "/resource_providers", params={"name": name}).json()
            for rp in old.get("resource_providers", []):
                self.request("DELETE", f"/resource_providers/{rp['uuid']}")
            resp = self.request("POST", "/resource_providers", body)
        return int(self._check(resp, "create provider").json()["generation"])

    def providers_in_tree(self, root: str) -> list[dict[str, Any]]:
        """Every provider of the tree ``root`` is in (itself included)."""
        resp = self._check(self.request("GET", "/resource_providers",
                                        params={"in_tree": root}), "providers in tree")
        return list(resp.json()["resource_providers"])

    def provider_traits(self, uuid: str) -> set[str]:
        """The traits of a provider."""
        resp = self._check(self.request("GET", f"/resource_providers/{uuid}/traits"),
                           "provider traits")
        return set(resp.json()["traits"])

    def _put_generation(self, uuid: str, what: str, body: Mapping[str, Any]) -> None:
        """PUT ``body`` to the provider's ``what`` at its current generation, retrying
        generation conflicts."""
        for _ in range(self._retries + 1):
            gen = self._check(self.request("GET", f"/resource_providers/{uuid}"), "get provider")
            resp = self.request("PUT", f"/resource_providers/{uuid}/{what}", {
                **body, "resource_provider_generation": gen.json()["generation"]})
            if resp.status_code != 409:
                self._check(resp, f"set {what}")
                return
        raise exception.ConcurrentUpdate(what=f"{what} of provider {uuid}")

    def set_traits(self, uuid: str, traits: list[str]) -> None:
        """Give a provider exactly ``traits``, creating the custom ones first."""
        for trait in traits:
            if trait.startswith("CUSTOM_"):
                self._check(self.request("PUT", f"/traits/{trait}"), "create trait")
        self._put_generation(uuid, "traits", {"traits": sorted(traits)})

    def set_inventory(self, uuid: str, inventories: Mapping[str, Mapping[str, Any]]) -> None:
        """Replace a provider's inventory, retrying generation conflicts."""
        self._put_generation(uuid, "inventories", {"inventories": inventories})

    def set_aggregates(self, uuid: str, aggregates: list[str]) -> None:
        """Put a provider in exactly these placement aggregates."""
        self._put_generation(uuid, "aggregates", {"aggregates": aggregates})

    def delete_provider(self, uuid: str) -> None:
        """Remove a provider (missing is fine)."""
        resp = self.request("DELETE", f"/resource_providers/{uuid}")
        if resp.status_code not in (204, 404):
            self._check(resp, "delete provider")

    def usages(self, uuid: str) -> dict[str, int]:
        """Resource class -> amount used on a provider."""
        resp = self._check(self.request("GET", f"/resource_providers/{uuid}/usages"), "usages")
        return dict(resp.json()["usages"])

    # -- candidates --------------------------------------------------------------------

    def allocation_candidates(
        self,
        resources: Resources,
        limit: int,
        in_tree: str | None = None,
        member_of: list[str] | None = None,
        groups: Sequence[RequestGroup] = (),
        same_subtree: Sequence[Sequence[str]] = (),
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Allocation requests and provider summaries able to hold ``resources``.

        Args:
            groups: granular groups, each from one provider, suffixed with its requester
                id (Placement 1.33 takes such suffixes), so each allocation request's
                ``mappings`` name the provider per requester.
            same_subtree: requester ids whose providers must share a subtree.
        """
        params: dict[str, Any] = {
            "resources": _resources_param(resources),
            "limit": limit,
        }
        if in_tree:
            params["in_tree"] = in_tree
        if member_of:
            params["member_of"] = "in:" + ",".join(member_of)
        for group in groups:
            suffix = mapping_suffix(group.requester_id)
            params["resources" + suffix] = _resources_param(group.resources)
            traits = [*group.required_traits, *(f"!{t}" for t in group.forbidden_traits)]
            if traits:
                params["required" + suffix] = ",".join(traits)
        if groups:
            # As Nova: a port's group may share a provider with another port's.
            params["group_policy"] = "none"
        if same_subtree:
            params["same_subtree"] = [",".join(mapping_suffix(r) for r in ids)
                                      for ids in same_subtree]
        resp = self._check(
            self.request("GET", "/allocation_candidates", params=params), "allocation candidates"
        )
        data = resp.json()
        return list(data["allocation_requests"]), dict(data["provider_summaries"])

    # -- allocations -------------------------------------------------------------------

    def get_allocations(self, consumer: str) -> tuple[dict[str, dict[str, int]], int | None]:
        """(provider -> resources, consumer generation) of a consumer; ({}, None) if none."""
        resp = self._check(self.request("GET", f"/allocations/{consumer}"), "get allocations")
        data = resp.json()
        allocs = {rp: dict(v["resources"]) for rp, v in data.get("allocations", {}).items()}
        return allocs, data.get("consumer_generation")

    def put_allocations(
        self,
        consumer: str,
        allocations: Allocations,
        project_id: str,
        user_id: str,
        consumer_type: str = "INSTANCE",
        *,
        new_consumer: bool = False,
    ) -> bool:
        """Replace a consumer's allocations.

        With ``new_consumer`` the first attempt assumes the consumer does not exist yet
        (generation null) and saves a round trip; a conflict falls back to reading it.

        Returns:
            False when a provider lacks capacity; True on success.

        Raises:
            ConcurrentUpdate: the consumer kept changing under us.
        """
        known_new = new_consumer
        for _ in range(self._retries + 1):
            generation = None if known_new else self.get_allocations(consumer)[1]
            known_new = False
            body = {
                "allocations": {rp: {"resources": dict(r)} for rp, r in allocations.items()},
                "project_id": project_id, "user_id": user_id,
                "consumer_generation": generation, "consumer_type": consumer_type,
            }
            resp = self.request("PUT", f"/allocations/{consumer}", body)
            if resp.status_code == 204:
                return True
            if _is_concurrent_update(resp):
                LOG.debug("Consumer %s generation conflict; retrying", consumer)
                continue
            if resp.status_code == 409:
                LOG.info("Claim for %s refused: %s", consumer, resp.text[:300])
                return False
            self._check(resp, "put allocations")
        raise exception.ConcurrentUpdate(what=f"allocations of consumer {consumer}")

    def put_new_consumers(
        self, claims: Mapping[str, tuple[Allocations, str, str]]
    ) -> bool:
        """Claim for several new consumers in one atomic write.

        Args:
            claims: consumer -> (allocations, project id, user id).

        Returns:
            False when Placement refused the write (capacity or a concurrent change);
            nothing was allocated then.
        """
        body = {
            consumer: {"allocations": {rp: {"resources": dict(r)} for rp, r in allocs.items()},
                       "project_id": project, "user_id": user, "consumer_generation": None,
                       "consumer_type": "INSTANCE"}
            for consumer, (allocs, project, user) in claims.items()
        }
        resp = self.request("POST", "/allocations", body)
        if resp.status_code == 204:
            return True
        if resp.status_code == 409:
            LOG.info("Batched claim of %d consumers refused: %s", len(claims), resp.text[:300])
            return False
        self._check(resp, "post allocations")
        return False

    def delete_allocations(self, consumer: str) -> None:
        """Drop all allocations of a consumer (none is fine)."""
        resp = self.request("DELETE", f"/allocations/{consumer}")
        if resp.status_code not in (204, 404):
            self._check(resp, "delete allocations")

    def move_allocations(
        self, source: str, target: str, project_id: str, user_id: str,
        target_type: str = "MIGRATION", source_type: str = "INSTANCE",
        *, target_new: bool = False,
    ) -> bool:
        """Move every allocation of ``source`` to ``target`` in one atomic write.

        With ``target_new`` the first attempt assumes ``target`` holds nothing yet
        (generation null) and saves a round trip; a conflict falls back to reading it.

        Returns:
            False when ``source`` had nothing to move.
        """
        assume_new = target_new
        for _ in range(self._retries + 1):
            src, src_gen = self.get_allocations(source)
            if not src:
                return False
            tgt_gen = None if assume_new else self.get_allocations(target)[1]
            assume_new = False
            body = {
                source: {"allocations": {}, "project_id": project_id, "user_id": user_id,
                         "consumer_generation": src_gen, "consumer_type": source_type},
                target: {"allocations": {rp: {"resources": r} for rp, r in src.items()},
                         "project_id": project_id, "user_id": user_id,
                         "consumer_generation": tgt_gen, "consumer_type": target_type},
            }
            resp = self.request("POST", "/allocations", body)
            if resp.status_code == 204:
                return True
            if _is_concurrent_update(resp):
                continue
            self._check(resp, "move allocations")
        raise exception.ConcurrentUpdate(what=f"allocations of consumer {source}")
