"""The curated layer model and the classification of snapshot objects into layers."""
