"""Backups by command: a consistent copy of the database, then every stored file that copy names; restoring
one; checking one by restoring it into a throwaway place. See docs/operations.md, "Backups"."""
