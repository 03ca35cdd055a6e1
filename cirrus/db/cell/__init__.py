"""The cell database: servers and everything attached to them, services, compute nodes."""
