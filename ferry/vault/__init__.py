"""Ferry's crypto boundary: the only package that imports the crypto library."""
