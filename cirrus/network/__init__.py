"""The network service: Neutron v2.0 shapes for networks, ports and extended port bindings.

``wsgi.loadapp`` builds the REST app; ``client.NetworkClient`` is how other services call it.
"""
