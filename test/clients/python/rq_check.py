"""RQ as apps use it: jobs enqueued, run by a burst worker, results, statuses and registries
read back, a failing job in the failed registry, a job scheduled for later and a dependent job.

Usage: rq_check.py PORT
"""

import os
import subprocess
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import redis
from rq import Queue, Retry, SimpleWorker, Worker
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry, DeferredJobRegistry

import rq_jobs
from check import expect, expect_true, section

port = int(sys.argv[1])
conn = redis.Redis(host="127.0.0.1", port=port)
conn.flushall()
q = Queue("py", connection=conn)

with section("enqueue"):
    a = q.enqueue(rq_jobs.add, 2, 3)
    b = q.enqueue(rq_jobs.slow_echo, "hello", result_ttl=600)
    bad = q.enqueue(rq_jobs.boom)
    flaky = q.enqueue(rq_jobs.boom, retry=Retry(max=2))
    dep = q.enqueue(rq_jobs.add, 10, 20, depends_on=a)
    later = q.enqueue_in(timedelta(seconds=1), rq_jobs.add, 100, 1)
    expect("queue length", len(q), 4)
    expect("job ids in queue", q.job_ids, [a.id, b.id, bad.id, flaky.id])
    expect("status queued", a.get_status(), JobStatus.QUEUED)
    expect("dependent deferred", dep.get_status(), JobStatus.DEFERRED)
    expect("deferred registry", DeferredJobRegistry(queue=q).get_job_ids(), [dep.id])
    expect("scheduled registry", ScheduledJobRegistry(queue=q).get_job_ids(), [later.id])
    expect("scheduled status", later.get_status(), JobStatus.SCHEDULED)
    fetched = Job.fetch(a.id, connection=conn)
    expect("fetched args", (fetched.func_name, fetched.args), ("rq_jobs.add", (2, 3)))

with section("burst worker"):
    w = SimpleWorker([q], connection=conn, name="py-worker")  # runs jobs in this process: no fork
    expect("worker work", w.work(burst=True), True)
    expect("result a", Job.fetch(a.id, connection=conn).result, 5)
    expect("result b", Job.fetch(b.id, connection=conn).result, "hello")
    expect("dependent ran", Job.fetch(dep.id, connection=conn).result, 30)
    expect("status finished", Job.fetch(a.id, connection=conn).get_status(), JobStatus.FINISHED)
    expect("finished registry", sorted(FinishedJobRegistry(queue=q).get_job_ids()), sorted([a.id, b.id, dep.id]))
    failed = FailedJobRegistry(queue=q)
    expect("failed registry", sorted(failed.get_job_ids()), sorted([bad.id, flaky.id]))
    badjob = Job.fetch(bad.id, connection=conn)
    expect("failed status", badjob.get_status(), JobStatus.FAILED)
    expect_true("failure traceback stored", "job failed on purpose" in (badjob.exc_info or ""), badjob.exc_info)
    expect("retries used up", Job.fetch(flaky.id, connection=conn).retries_left, 0)
    expect("queue empty", len(q), 0)

with section("scheduled job"):
    time.sleep(1.2)
    w2 = SimpleWorker([q], connection=conn, name="py-worker-2")
    # with_scheduler moves due jobs from the scheduled registry to the queue (a lock key with
    # SET NX EX, a ZRANGEBYSCORE and a pipeline), then the burst run takes them.
    expect("scheduler burst", w2.work(burst=True, with_scheduler=True), True)
    expect("scheduled job ran", Job.fetch(later.id, connection=conn).result, 101)
    expect("scheduled registry empty", ScheduledJobRegistry(queue=q).get_job_ids(), [])

with section("requeue and cleanup"):
    expect("requeue failed", failed.requeue(bad.id).id, bad.id)
    expect("requeued in queue", q.job_ids, [bad.id])
    expect("workers registered", Worker.all(connection=conn), [])
    expect("queues known", sorted(x.name for x in Queue.all(connection=conn)), ["py"])

with section("rq worker --burst (forking worker, the CLI)"):
    c = q.enqueue(rq_jobs.add, 7, 8)
    here = os.path.dirname(os.path.abspath(__file__))
    run = subprocess.run(
        [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", f"redis://127.0.0.1:{port}", "--path", here, "py"],
        capture_output=True, text=True, timeout=30,
    )
    expect_true("rq worker exit code", run.returncode == 0, run.stderr[-2000:])
    expect("cli result", Job.fetch(c.id, connection=conn).result, 15)
    expect("requeued job failed again", Job.fetch(bad.id, connection=conn).get_status(), JobStatus.FAILED)
    expect("queue drained", len(q), 0)

print("rq ok")
