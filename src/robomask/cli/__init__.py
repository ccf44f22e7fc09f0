"""The ``robomask`` command line: the only layer that prints."""
