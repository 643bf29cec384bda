"""Cross-cutting, domain-free building blocks: errors, auth, schemas, time, mail."""
