"""Advocacy: dossiers."""
