"""Administrators' case settings: the pipeline (stages, closing reasons) and retention, and their pages."""
