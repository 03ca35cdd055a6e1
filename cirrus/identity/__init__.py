"""Identity: a Keystone v3 subset (users, projects, roles, password tokens)."""
