"""The API database: cells, mappings, flavors, request specs, identity, quotas."""
