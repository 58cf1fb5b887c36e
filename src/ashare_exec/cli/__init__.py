"""The ``ashare-exec`` command line."""
