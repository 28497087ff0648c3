"""Runs the schemathesis CLI with ast.parse serialised across its worker threads.

CPython 3.11 keeps the AST constructor's recursion depth in state shared by every thread;
when two threads build ASTs at once (hypothesis parses the source of each lambda it
describes, and schemathesis' workers are threads) one of them can fail with
"SystemError: AST constructor recursion depth mismatch" (python/cpython#106905 and its
kin). The fuzzing run died of it once in the full suite; a lock around ast.parse removes the
race without giving up the concurrent workers that send the requests.
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

from schemathesis.cli import schemathesis  # noqa: E402  (after the patch, on purpose)

if __name__ == "__main__":
    sys.argv[0] = "schemathesis"
    sys.exit(schemathesis())
