"""The compute API (/compute/v2.1): Nova's REST surface with microversions."""
