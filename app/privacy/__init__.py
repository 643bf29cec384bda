"""Privacy rights (API.md §10): data export, erasure, the consent ledger."""
