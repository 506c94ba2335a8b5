"""Proving Ground's simulator: plants known product behaviour into raw tables and writes
the answer key (`truth`) beside them."""

__version__ = "0.1.0"
