"""HTTP plumbing shared by the REST services: routes as data, auth, request ids, faults.

Only the HTTP layers (cirrus.api, cirrus.identity, cirrus.image, cirrus.network,
cirrus.volume) import this package.
"""
