"""The ``tapbot`` command line."""
