"""Celery with the redis broker and result backend, as apps use it: a worker process
(--pool=solo) runs tasks; .get() returns results, a retry, a failure, a countdown, a group and a
chord (the redis backend's chord counter), and the stored task states read back.

Usage: celery_check.py PORT
"""

import os
import signal
import subprocess
import sys
import tempfile
import threading
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
# The worker logs to a file, not a pipe nobody reads while it runs (a full pipe would stall it).
worker_log = tempfile.TemporaryFile(mode="w+")
worker = subprocess.Popen(
    [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--pool=solo", "--concurrency=1", "-E",
     "--without-gossip", "--without-mingle", "--loglevel=INFO", "-n", "pycheck@%h"],
    cwd=here, env=dict(os.environ, PYTHONPATH=here), stdout=worker_log, stderr=subprocess.STDOUT,
)


def worker_output():
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=5)
    worker_log.seek(0)
    return worker_log.read()[-4000:]


app = celery_app.app
# Task and worker events travel on kombu's fanout exchange (PUBLISH to, PSUBSCRIBE on
# /0.celeryev/*); a receiver thread collects their types while the tasks below run.
events = set()


def receive_events():
    with app.connection() as conn:
        receiver = app.events.Receiver(conn, handlers={"*": lambda e: events.add(e["type"])})
        try:
            receiver.capture(limit=None, timeout=30, wakeup=True)
        except Exception:  # the capture ends with a timeout (or the interpreter's exit)
            pass


threading.Thread(target=receive_events, daemon=True).start()

try:
    with section("worker answers"):
        deadline = time.time() + 45  # the worker's start (imports) is slow on a loaded machine
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

    with section("revoke and scheduled"):
        eta = celery_app.add.apply_async((5, 5), countdown=60)
        deadline = time.time() + 5
        scheduled = []
        while time.time() < deadline and not scheduled:
            scheduled = [t["request"]["id"] for v in (app.control.inspect(timeout=0.5).scheduled() or {}).values() for t in v]
        expect("scheduled holds the eta task", scheduled, [eta.id])
        eta.revoke()
        revoked = app.control.inspect(timeout=1).revoked() or {}
        expect_true("revoked", any(eta.id in v for v in revoked.values()), revoked)

    with section("events"):
        deadline = time.time() + 5
        want = {"worker-heartbeat", "task-sent", "task-received", "task-started", "task-succeeded", "task-failed", "task-retried"}
        while time.time() < deadline and not want <= events:
            time.sleep(0.1)
        expect("event types seen", sorted(want & events), sorted(want))

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

with section("unacked message restored at shutdown"):
    # The warm shutdown puts the prefetched eta task back on the queue list from kombu's
    # unacked hash (ZREVRANGEBYSCORE + HGET, then LPUSH in a pipeline).
    expect("worker exit code", worker.returncode, 0)
    broker = redis.Redis(host="127.0.0.1", port=int(port))
    expect("queue holds the restored task", broker.llen("celery"), 1)
    expect("unacked emptied", (broker.hlen("unacked"), broker.zcard("unacked_index")), (0, 0))

print("celery ok", flush=True)
# Leave without the interpreter's shutdown pass: celery's AsyncResult.__del__ then tries to
# reconnect to unsubscribe and prints import errors that say nothing about the server.
os._exit(0)
