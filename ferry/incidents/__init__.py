"""Documentation: incidents, vocabularies, places, perpetrators, sources and evidence."""
