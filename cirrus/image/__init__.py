"""The image service: Glance v2 shapes, records in the services database, bytes on disk.

``wsgi.loadapp`` builds the REST app; ``client.ImageClient`` is how other services call it.
"""
