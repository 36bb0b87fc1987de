"""The one error type users see: a message naming the file and the field, never a traceback."""


class UserError(Exception):
    """A problem with the user's input or environment; the CLI prints it and exits non-zero."""

    exit_code = 2
