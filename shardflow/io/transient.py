"""Which storage errors are passing troubles of the store rather than mistakes.

A server that restarts, a dropped connection, a timeout, S3's ``503 SlowDown``: the same
request succeeds a little later. The client (botocore) already retries each request with
backoff; when even that runs out, the task fails, and the executor should report it as an
infrastructure failure, which the scheduler retries with its own backoff, rather than as
an error in a step's code, which would stop the run.
"""

from __future__ import annotations

from fsspec.exceptions import FSTimeoutError

#: Error codes of S3 (and its clones) that mean "try again later".
_RETRYABLE_CODES = frozenset({
    "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling",
    "ThrottlingException", "RequestTimeTooSkewed", "503", "500", "502", "504",
})


def is_transient_storage_error(exc: BaseException, depth: int = 8) -> bool:
    """Whether ``exc`` (or what caused it) is a storage failure that may pass by itself."""
    seen = 0
    while exc is not None and seen < depth:
        if _transient(exc):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _transient(exc: BaseException) -> bool:
    # Only the storage clients' own errors: a ConnectionError that a step's code raises
    # (its own web service) follows that step's failure policy.
    if isinstance(exc, FSTimeoutError):
        return True
    try:  # botocore comes with the s3 extra only
        from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError, HTTPClientError
    except ImportError:
        return False
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return True
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code") in _RETRYABLE_CODES or status >= 500
    try:
        from aiohttp import ClientConnectionError, ClientPayloadError
    except ImportError:
        return False
    return isinstance(exc, (ClientConnectionError, ClientPayloadError))
