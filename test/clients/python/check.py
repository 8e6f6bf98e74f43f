"""Read-back checks shared by the Python client scripts: the first wrong value ends the script
with exit code 1 and a message naming the check, what came back and what was expected."""

import contextlib
import sys

_current = ["(start)"]


def fail(label, got):
    print(f"FAIL [{_current[0]}] {label}: got {got!r}", file=sys.stderr)
    sys.exit(1)


def expect(label, got, want):
    if got != want:
        print(f"FAIL [{_current[0]}] {label}: got {got!r}, want {want!r}", file=sys.stderr)
        sys.exit(1)


def expect_true(label, ok, got):
    if not ok:
        fail(label, got)


@contextlib.contextmanager
def section(name):
    _current[0] = name
    try:
        yield
    except SystemExit:
        raise
    except BaseException as e:  # an exception a library raised: name the section it came from
        print(f"FAIL [{name}] raised {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"ok {name}")
