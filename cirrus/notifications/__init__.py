"""Versioned notifications (instance.create.start, instance.delete.end, ...)."""
