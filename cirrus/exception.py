"""Domain exceptions. Services raise these; only the HTTP layers turn them into responses."""

from typing import Any


class CirrusException(Exception):  # noqa: N818  (Nova's name for its base)
    """Base exception: the message is ``msg_fmt`` filled with the keyword arguments."""

    msg_fmt = "An unknown exception occurred."
    code = 500

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        self.kwargs = kwargs
        if message is None:
            try:
                message = self.msg_fmt % kwargs
            except (KeyError, TypeError):
                message = self.msg_fmt
        self.message = message
        super().__init__(message)


class Invalid(CirrusException):
    msg_fmt = "Bad request: %(reason)s"
    code = 400


class ValidationError(Invalid):
    msg_fmt = "Invalid input for field/attribute %(field)s. %(reason)s"


class NotFound(CirrusException):
    msg_fmt = "Resource could not be found."
    code = 404


class Forbidden(CirrusException):
    msg_fmt = "Forbidden: %(reason)s"
    code = 403


class PolicyNotAuthorized(Forbidden):
    msg_fmt = "Policy doesn't allow %(action)s to be performed."


class Conflict(CirrusException):
    msg_fmt = "Conflict: %(reason)s"
    code = 409


class InstanceNotFound(NotFound):
    msg_fmt = "Instance %(instance_id)s could not be found."


class FlavorNotFound(NotFound):
    msg_fmt = "Flavor %(flavor_id)s could not be found."


class FlavorExists(Conflict):
    msg_fmt = "Flavor with %(field)s %(value)s already exists."


class ImageNotFound(NotFound):
    msg_fmt = "Image %(image_id)s could not be found."


class NetworkNotFound(NotFound):
    msg_fmt = "Network %(network_id)s could not be found."


class KeypairNotFound(NotFound):
    msg_fmt = "Keypair %(name)s not found for user %(user_id)s"


class KeypairExists(Conflict):
    msg_fmt = "Key pair '%(key_name)s' already exists."


class ComputeHostNotFound(NotFound):
    msg_fmt = "Compute host %(host)s could not be found."


class CellMappingNotFound(NotFound):
    msg_fmt = "Cell %(uuid)s has no mapping."


class InstanceMappingNotFound(NotFound):
    msg_fmt = "Instance %(uuid)s has no mapping to a cell."


class InstanceInvalidState(Conflict):
    msg_fmt = "Cannot '%(method)s' instance %(instance_uuid)s while it is in %(attr)s %(state)s"


class InstanceIsLocked(Conflict):
    msg_fmt = "Instance %(instance_uuid)s is locked"


class UnexpectedTaskState(Conflict):
    msg_fmt = "Unexpected task state: expecting %(expected)s but the actual state is %(actual)s"


class QuotaExceeded(Forbidden):
    msg_fmt = "Quota exceeded for %(overs)s: Requested %(req)s, but already used %(used)s of %(allowed)s %(overs)s"


class NoValidHost(CirrusException):
    msg_fmt = "No valid host was found. %(reason)s"
    code = 500


class MaxRetriesExceeded(NoValidHost):
    msg_fmt = "Exceeded maximum number of retries. %(reason)s"


class ConcurrentUpdate(Conflict):
    msg_fmt = "Another request changed %(what)s at the same time; retry."


class PlacementError(CirrusException):
    msg_fmt = "Placement request failed: %(reason)s"


class AllocationUpdateFailed(PlacementError):
    msg_fmt = "Failed to update allocations for consumer %(consumer_uuid)s. Error: %(error)s"


class ServiceUnavailable(CirrusException):
    msg_fmt = "Service unavailable: %(reason)s"
    code = 503


class ComputeServiceUnavailable(ServiceUnavailable):
    msg_fmt = "Compute service of %(host)s is unavailable at this time."


class Unauthorized(CirrusException):
    msg_fmt = "The request you have made requires authentication."
    code = 401


class InvalidToken(Unauthorized):
    msg_fmt = "The token is invalid: %(reason)s"


class DriverError(CirrusException):
    msg_fmt = "Hypervisor driver failed in %(method)s: %(reason)s"


class BuildAbortException(CirrusException):
    msg_fmt = "Build of instance %(instance_uuid)s aborted: %(reason)s"


class RescheduledException(CirrusException):
    msg_fmt = "Build of instance %(instance_uuid)s was re-scheduled: %(reason)s"
