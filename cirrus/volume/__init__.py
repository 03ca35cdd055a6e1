"""The volume service: Cinder v3 shapes for volumes and the attachments API (3.27+).

``wsgi.loadapp`` builds the REST app; ``client.VolumeClient`` is how other services call it.
"""
