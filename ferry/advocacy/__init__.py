"""Advocacy: safe statistics with disclosure control, charts, PDF reports, dossiers, government responses."""
