"""The study's input error (its own module, so that the command line imports it cheaply)."""


class StudyInputError(ValueError):
    """A bad study input (path, catalog, column, parameter); the message names it."""
