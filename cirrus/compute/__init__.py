"""The compute service: one per host, with a resource tracker and a hypervisor driver."""
