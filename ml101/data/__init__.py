"""Datasets and DataLoaders: how a loader cuts an epoch into batches, random_split, and
a custom Dataset reading image files."""
