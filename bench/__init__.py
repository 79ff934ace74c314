"""Ferry's benchmarks: commands that print figures measured in one run, and the synthetic data generator."""
