"""The append-only, hash-chained audit log and its verifier; entries never hold personal data."""
