"""The ``xpnet`` command line: ``xpnet demo`` (see :mod:`xpnet.__main__`)."""
