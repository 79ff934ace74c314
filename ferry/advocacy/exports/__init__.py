"""Advocacy: exports."""
