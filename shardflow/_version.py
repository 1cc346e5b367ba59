"""The package version (also part of every stage key)."""

__version__ = "0.1.0"
