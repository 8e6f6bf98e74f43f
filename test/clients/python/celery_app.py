"""A small Celery app on the redis broker and result backend, for celery_check.py.
The port comes from SEALKV_TEST_PORT so the worker process and the caller agree."""

import os

from celery import Celery, chord, group  # noqa: F401  (chord/group used by the caller)

url = f"redis://127.0.0.1:{os.environ['SEALKV_TEST_PORT']}/0"
app = Celery("celery_app", broker=url, backend=url)
app.conf.update(
    broker_connection_retry_on_startup=False,
    broker_connection_max_retries=1,
    result_expires=600,
    task_acks_late=True,
    worker_hijack_root_logger=False,
    worker_send_task_events=True,
    task_send_sent_event=True,
)


@app.task
def add(a, b):
    return a + b


@app.task
def tsum(values):
    return sum(values)


@app.task(bind=True, max_retries=3, default_retry_delay=0.1)
def flaky(self, key):
    # Fails twice, then succeeds: the count lives in the broker's own Redis.
    n = app.backend.client.incr(key)
    if n < 3:
        raise self.retry(exc=RuntimeError(f"attempt {n}"), countdown=0.1)
    return n


@app.task
def fails():
    raise ValueError("task failed on purpose")


@app.task
def echo_bytes(value):
    return value
