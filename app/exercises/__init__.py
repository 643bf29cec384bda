"""The exercise library: exercises, their search, the starter library and its seeder."""
