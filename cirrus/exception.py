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
    msg_fmt = ("Quota exceeded for %(overs)s: Requested %(req)s, but already used %(used)s of "
               "%(allowed)s %(overs)s")


class OnsetFileLimitExceeded(Forbidden):
    msg_fmt = "Personality file limit exceeded"


class OnsetFilePathLimitExceeded(OnsetFileLimitExceeded):
    msg_fmt = "Personality file path exceeds maximum %(allowed)s"


class OnsetFileContentLimitExceeded(OnsetFileLimitExceeded):
    msg_fmt = "Personality file content exceeds maximum %(allowed)s"


class NoValidHost(CirrusException):
    msg_fmt = "No valid host was found. %(reason)s"
    code = 500


class MaxRetriesExceeded(NoValidHost):
    msg_fmt = "Exceeded maximum number of retries. %(reason)s"


class ConcurrentUpdate(Conflict):
    msg_fmt = "Another request changed %(what)s at the same time; retry."


class PlacementError(CirrusException):
    msg_fmt = "Placement request failed: %(reason)s"


class AllocationUpdateFailed(PlacementError):  # noqa: N818  (Nova's name)
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


class InvalidGlobalAPIVersion(CirrusException):
    msg_fmt = (
        "Version %(req_ver)s is not supported by the API. Minimum is %(min_ver)s and "
        "maximum is %(max_ver)s."
    )
    code = 406


class VersionNotFoundForAPIMethod(NotFound):
    msg_fmt = "API version %(version)s is not supported on this method."


class ImageExists(Conflict):
    msg_fmt = "Image with identifier %(image_id)s already exists!"


class ImageProtected(Forbidden):
    msg_fmt = "Image %(image_id)s is protected and cannot be deleted."


class ReadOnlyImageAttribute(Forbidden):
    msg_fmt = "Attribute '%(attribute)s' is read-only."


class ReservedImageAttribute(Forbidden):
    msg_fmt = "Attribute '%(attribute)s' is reserved."


class ImageStatusConflict(Conflict):
    msg_fmt = "Image status transition from %(current)s to %(wanted)s is not allowed"


class ImageStorageFull(CirrusException):
    msg_fmt = "Image storage media is full: %(reason)s"
    code = 413


class ImageSizeLimitExceeded(CirrusException):
    msg_fmt = "The provided image is too large: %(size)s bytes exceed the limit of %(limit)s."
    code = 413


class ImageDeletedDuringUpload(NotFound):
    msg_fmt = (
        "Image %(image_id)s could not be found after upload. The image may have been "
        "deleted during the upload."
    )
    code = 410


class ImageChecksumMismatch(CirrusException):
    msg_fmt = "Data of image %(image_id)s does not match its checksum %(expected)s."
    code = 502


class PortNotFound(NotFound):
    msg_fmt = "Port %(port_id)s could not be found."


class PortBindingNotFound(NotFound):
    msg_fmt = "Binding for port %(port_id)s for host %(host)s could not be found."


class PortBindingAlreadyExists(Conflict):
    msg_fmt = "Binding for port %(port_id)s on host %(host)s already exists."


class PortResourceProviderUnknown(CirrusException):
    msg_fmt = ("No resource provider of the allocation of %(consumer)s serves the resource "
               "request of port %(port_id)s.")


class PortBindingAlreadyActive(Conflict):
    msg_fmt = "Binding for port %(port_id)s on host %(host)s is already active."


class NetworkInUse(Conflict):
    msg_fmt = (
        "Unable to complete operation on network %(network_id)s. There are one or more "
        "ports still in use on the network."
    )


class IpAddressAlreadyAllocated(Conflict):
    msg_fmt = "IP address %(ip)s already allocated in network %(network_id)s."


class IpAddressGenerationFailure(Conflict):
    msg_fmt = "No more IP addresses available on network %(network_id)s."


class MacAddressInUse(Conflict):
    msg_fmt = (
        "Unable to complete operation for network %(network_id)s. The mac address %(mac)s "
        "is in use."
    )


class VolumeNotFound(NotFound):
    msg_fmt = "Volume %(volume_id)s could not be found."


class AttachmentNotFound(NotFound):
    msg_fmt = "Volume attachment could not be found with filter: attachment_id = %(attachment_id)s."


class InvalidVolume(Invalid):
    msg_fmt = "Invalid volume: %(reason)s"


class CreateWithPortResourceRequestOldVersion(Invalid):
    msg_fmt = ("Creating servers with ports having resource requests, like a port with a "
               "QoS minimum bandwidth policy, is not supported until microversion 2.72.")


class VolumeBDMNotFound(NotFound):
    msg_fmt = "No volume Block Device Mapping with id %(volume_id)s."


class InvalidKeypair(Invalid):
    msg_fmt = "Keypair data is invalid: %(reason)s"


class KeypairLimitExceeded(Forbidden):
    msg_fmt = "Quota exceeded, too many key pairs."


class InstanceGroupNotFound(NotFound):
    msg_fmt = "Instance group %(group_uuid)s could not be found."


class ServerGroupLimitExceeded(Forbidden):
    msg_fmt = "Quota exceeded, too many server groups."


class ServerGroupMembersLimitExceeded(Forbidden):
    msg_fmt = "Quota exceeded, too many servers in group"


class ServiceNotFound(NotFound):
    msg_fmt = "Service %(service_id)s could not be found."


class HostBinaryNotFound(NotFound):
    msg_fmt = "Compute host %(host)s with binary %(binary)s could not be found."


class HypervisorNotFound(NotFound):
    msg_fmt = "Hypervisor with ID '%(hypervisor_id)s' could not be found."


class MarkerNotFound(NotFound):
    msg_fmt = "Marker %(marker)s could not be found."


class MigrationNotFound(NotFound):
    msg_fmt = "Migration %(migration_id)s could not be found."


class MigrationNotFoundByStatus(MigrationNotFound):
    msg_fmt = "Instance %(instance_id)s has no migration with status %(status)s."


class MigrationMarkerNotFound(MarkerNotFound):
    msg_fmt = "Marker %(marker)s could not be found."


class InvalidMigrationTransition(Conflict):
    msg_fmt = "Migration %(id)s cannot go from %(old)s to %(new)s."


class InstanceNotReady(Conflict):
    msg_fmt = "Instance %(instance_id)s is not ready"


class SourceComputeUnavailable(Conflict):
    """Nova's ServiceUnavailable as its move actions report it: 409, retry later."""

    msg_fmt = "Service is unavailable at this time."


class CannotMigrateToSameHost(Invalid):
    msg_fmt = "Cannot migrate to the host where the server exists."


class CannotResizeToSameFlavor(Invalid):
    msg_fmt = "When resizing, instances must change flavor!"


class CannotResizeDisk(Invalid):
    msg_fmt = "Server disk was unable to be resized because: %(reason)s"


class InstanceNotResized(Invalid):
    """No migration in status ``finished``: nothing to confirm or revert (Nova's 400)."""

    msg_fmt = "Instance has not been resized."


class MigrationError(CirrusException):
    msg_fmt = "Migration error: %(reason)s"


class UnableToMigrateToSelf(Invalid):
    msg_fmt = ("Unable to migrate instance (%(instance_id)s) to current host (%(host)s).")


class AllocationDeleteFailed(CirrusException):
    msg_fmt = ("Failed to delete allocations for consumer %(consumer_uuid)s. Error: "
               "%(error)s")


class AllocationMoveFailed(CirrusException):
    msg_fmt = ("Failed to move allocations from consumer %(source)s to consumer %(target)s. "
               "Error: %(error)s")


class MigrationPreCheckError(MigrationError):
    msg_fmt = "Migration pre-check error: %(reason)s"


class InstancePowerOffFailure(CirrusException):
    msg_fmt = "Failed to power off instance: %(reason)s"


class ServiceTooOld(CirrusException):
    msg_fmt = "%(thing)s too old"
    code = 409


class CrossCellMoveAbandoned(BaseException):
    """The superconductor let go of a cross-cell move mid-way (it is stopping).

    A BaseException so that the task chain does not unwind: nothing is undone here, and
    the next superconductor to start finishes or rolls back the move from its journal.
    """
