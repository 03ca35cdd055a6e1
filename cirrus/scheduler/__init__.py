"""The scheduler: allocation candidates, then filters, weighers and a claim in Placement."""
