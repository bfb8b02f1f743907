"""The schema's revisions, oldest first: 0001_initial is release 0.1.0's schema."""
