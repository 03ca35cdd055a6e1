"""Policy: Nova's rule names and defaults, overridable from policy.yaml."""
