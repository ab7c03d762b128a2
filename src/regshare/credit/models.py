"""Data of this domain."""
