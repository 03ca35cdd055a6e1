"""Cirrus: a compute control plane that moves servers within and across cells."""

import warnings

# oslo.messaging pulls in oslo.service, which imports eventlet and warns about it on every
# start; Cirrus uses threads and never monkey-patches, so the warning is noise to operators.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated", category=Warning)
