"""Domain objects and their persistence functions; no ORM object leaves this package."""
