"""Our client of the real OpenStack Placement service, and how to run it in-process."""
