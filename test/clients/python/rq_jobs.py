"""Job functions for rq_check.py: the worker imports them by module path."""

import time


def add(a, b):
    return a + b


def boom():
    raise ValueError("job failed on purpose")


def slow_echo(v):
    time.sleep(0.05)
    return v
