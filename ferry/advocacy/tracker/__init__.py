"""Advocacy: tracker."""
