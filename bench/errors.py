"""Errors a user can act on, as opposed to bugs in bench."""


class UserError(Exception):
    """Something the user can fix: a bad file, a missing engine, an unknown name.

    The CLI prints ``str(err)`` as one line (plus optional hint lines) and exits 1, without a traceback.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\n  {self.hint}" if self.hint else text
