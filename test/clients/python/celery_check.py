"""Celery with the redis broker and result backend, as apps use it: a worker process
(--pool=solo) runs tasks; .get() returns results, a retry, a failure, a countdown, a group and a
chord (the redis backend's chord counter), and the stored task states read back.

Usage: celery_check.py PORT
"""

import os
import signal
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
port = sys.argv[1]
os.environ["SEALKV_TEST_PORT"] = port

import redis
from celery import chain, chord, group
from celery.exceptions import TimeoutError as CeleryTimeout

import celery_app
from check import expect, expect_true, section

redis.Redis(host="127.0.0.1", port=int(port)).flushall()
worker = subprocess.Popen(
    [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--pool=solo", "--concurrency=1",
     "--without-gossip", "--without-mingle", "--loglevel=INFO", "-n", "pycheck@%h"],
    cwd=here, env=dict(os.environ, PYTHONPATH=here), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
)


def worker_output():
    worker.send_signal(signal.SIGKILL)
    out, _ = worker.communicate(timeout=5)
    return out[-4000:]


try:
    with section("worker answers"):
        app = celery_app.app
        deadline = time.time() + 20
        replies = None
        while time.time() < deadline and not replies:
            replies = app.control.ping(timeout=0.5)
        expect_true("worker ping", replies and list(replies[0].values())[0] == {"ok": "pong"}, replies)

    with section("tasks and results"):
        r = celery_app.add.delay(2, 3)
        expect("add result", r.get(timeout=10), 5)
        expect("state", r.state, "SUCCESS")
        expect("result from a fresh AsyncResult", app.AsyncResult(r.id).result, 5)
        rs = [celery_app.add.delay(i, i) for i in range(5)]
        expect("five results", [x.get(timeout=10) for x in rs], [0, 2, 4, 6, 8])
        expect("unicode and bytes-ish", celery_app.echo_bytes.delay({"k": "é ✓", "n": [1.5, None]}).get(timeout=10), {"k": "é ✓", "n": [1.5, None]})
        started = time.time()
        later = celery_app.add.apply_async((1, 1), countdown=1)
        expect("countdown result", later.get(timeout=10), 2)
        expect_true("countdown waited", time.time() - started >= 0.9, time.time() - started)

    with section("retry"):
        r = celery_app.flaky.delay("flaky-count")
        expect("result after two retries", r.get(timeout=15), 3)

    with section("failure"):
        r = celery_app.fails.delay()
        try:
            r.get(timeout=10)
            expect("failing task raised", "no error", "ValueError")
        except ValueError as e:
            expect("exception text", str(e), "task failed on purpose")
        expect("failure state", r.state, "FAILURE")
        expect_true("traceback kept", "task failed on purpose" in (r.traceback or ""), r.traceback)

    with section("group, chain and chord"):
        g = group(celery_app.add.s(i, 10) for i in range(4))()
        expect("group", g.get(timeout=10), [10, 11, 12, 13])
        expect("chain", chain(celery_app.add.s(1, 2), celery_app.add.s(10))().get(timeout=10), 13)
        c = chord((celery_app.add.s(i, i) for i in range(5)), celery_app.tsum.s())()
        expect("chord", c.get(timeout=15), 20)

    with section("inspect"):
        i = app.control.inspect(timeout=1)
        reg = i.registered() or {}
        expect_true("registered tasks", any("celery_app.add" in v for v in reg.values()), reg)
        stats = i.stats() or {}
        expect_true("worker stats", any(s.get("total", {}).get("celery_app.add", 0) >= 10 for s in stats.values()), stats)
except SystemExit:
    print(worker_output(), file=sys.stderr)
    raise
finally:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()

print("celery ok", flush=True)
# Leave without the interpreter's shutdown pass: celery's AsyncResult.__del__ then tries to
# reconnect to unsubscribe and prints import errors that say nothing about the server.
os._exit(0)
