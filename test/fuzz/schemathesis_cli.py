"""Runs the schemathesis CLI with two workarounds for crashes of the fuzzer itself.

1. ast.parse serialised across its worker threads.

CPython 3.11 keeps the AST constructor's recursion depth in state shared by every thread;
when two threads build ASTs at once (hypothesis parses the source of each lambda it
describes, and schemathesis' workers are threads) one of them can fail with
"SystemError: AST constructor recursion depth mismatch" (python/cpython#106905 and its
kin). The fuzzing run died of it once in the full suite; a lock around ast.parse removes the
race without giving up the concurrent workers that send the requests.

2. A URL in a response body that Python cannot split is no link (see below).
"""
import ast
import sys
import threading

_lock = threading.Lock()
_parse = ast.parse


def _serial_parse(*args, **kwargs):
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _serial_parse

# Schemathesis 4.32.5 scans response bodies for same-origin URLs to link operations, and its
# urlsplit raises on a string such as "http://[x" ("Invalid IPv6 URL"): an echoed free-text
# field (a hook's output line, a plugin setting) then ended a whole run as an internal error.
# Such a string is no link: treat it as none.
from schemathesis.engine import observations  # noqa: E402

_same_origin_path = observations._same_origin_path


def _tolerant_same_origin_path(value, origin):
    try:
        return _same_origin_path(value, origin)
    except ValueError:
        return None


observations._same_origin_path = _tolerant_same_origin_path

from schemathesis.cli import schemathesis  # noqa: E402  (after the patch, on purpose)

if __name__ == "__main__":
    sys.argv[0] = "schemathesis"
    sys.exit(schemathesis())
