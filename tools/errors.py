"""The one error the template tools raise for a problem in a source file."""


class TemplateError(Exception):
    """A problem at `path:line` of a source file; str() is the message a user sees."""

    def __init__(self, path, line, message):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
