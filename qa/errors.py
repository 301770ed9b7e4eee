"""Errors qa raises on purpose. Interfaces map them by type, never by message.

QAError
├── InputError             a question or argument a person must fix   (exit 2, HTTP 400)
├── SourceNotFoundError    a corpus file or line range that is not there (HTTP 404)
├── IndexMissingError      no index, or a corrupt one                 (exit 3)
├── IndexStaleError        index built with other settings or model   (exit 3, HTTP 409)
├── IndexWriteError        a build cannot be written (disk full)      (exit 3)
├── ModelUnavailableError  model or embedder cannot be loaded         (exit 4, HTTP 503)
└── BusyError              too many requests waiting for the model    (HTTP 503)
"""


class QAError(Exception):
    """Base of every error qa raises deliberately."""


class InputError(QAError):
    """Bad input from the user."""


class SourceNotFoundError(QAError):
    """A requested corpus file or range does not exist."""


class IndexMissingError(QAError):
    """The index is missing or cannot be read."""


class IndexStaleError(QAError):
    """The index does not match the current settings or model."""


class IndexWriteError(QAError):
    """A build cannot be written; the previous one stays live."""


class ModelUnavailableError(QAError):
    """A model cannot be loaded."""


class BusyError(QAError):
    """Too many requests are waiting for the model."""


class BackendError(QAError):
    """A remote generation backend failed or cannot be reached."""
