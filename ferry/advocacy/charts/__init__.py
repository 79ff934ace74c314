"""Advocacy: charts."""
