"""redis-py (sync) as apps use it, checked on what it reads back.

Usage: redis_sync.py PORT PARSER   (PARSER: python | hiredis)
Prints one line per checked area and exits 1 with the first wrong read-back.
"""

import sys
import threading
import time

import redis
from redis.connection import HiredisParser, PythonParser

from check import expect, expect_true, fail, section

port = int(sys.argv[1])
parser = {"python": PythonParser, "hiredis": HiredisParser}[sys.argv[2]]


def connect(**kw):
    # redis-py 4.3 takes parser_class on the pool, not on Redis().
    pool = redis.ConnectionPool(host="127.0.0.1", port=port, parser_class=parser, **kw)
    return redis.Redis(connection_pool=pool)


r = connect(decode_responses=True)
r.flushall()
conn = r.connection_pool.get_connection("PING")
expect("parser in use", type(conn._parser), parser)
r.connection_pool.release(conn)

with section("strings with expiry"):
    expect("set ex", r.set("s", "v", ex=100), True)
    expect("get", r.get("s"), "v")
    expect_true("ttl", 98 <= r.ttl("s") <= 100, r.ttl("s"))
    expect("set px nx on existing", r.set("s", "w", px=5000, nx=True), None)
    expect("set get", r.set("s", "w", get=True), "v")
    expect("ttl after plain set", r.ttl("s"), -1)
    expect("setex", r.setex("s2", 50, "x"), True)
    expect_true("pttl", 49000 < r.pttl("s2") <= 50000, r.pttl("s2"))
    expect("incrbyfloat", r.incrbyfloat("f", 1.5), 1.5)
    expect("incr", r.incr("n", 3), 3)
    expect("mset", r.mset({"a": "1", "b": "2"}), True)
    expect("mget", r.mget(["a", "b", "zz"]), ["1", "2", None])
    expect("getex persist", r.getex("s2", persist=True), "x")
    expect("ttl after persist", r.ttl("s2"), -1)
    expect("expire", r.expire("s2", 10), True)
    expect("expiretime", r.expiretime("s2") > time.time(), True)
    expect("getdel", r.getdel("s2"), "x")
    expect("exists", r.exists("s", "s2", "zz"), 1)
    expect("type", r.type("s"), "string")
    expect("strlen", r.strlen("s"), 1)
    expect("append", r.append("s", "xyz"), 4)
    expect("getrange", r.getrange("s", 1, 2), "xy")
    expect("set pxat", r.set("pxat", "1", pxat=int(time.time() * 1000) + 60000), True)
    expect_true("pttl of pxat", 58000 < r.pttl("pxat") <= 60000, r.pttl("pxat"))

with section("hashes"):
    expect("hset mapping", r.hset("h", mapping={"f1": "a", "f2": "b", "n": "5"}), 3)
    expect("hgetall", r.hgetall("h"), {"f1": "a", "f2": "b", "n": "5"})
    expect("hmget", r.hmget("h", ["f1", "nope"]), ["a", None])
    expect("hincrby", r.hincrby("h", "n", 2), 7)
    expect("hincrbyfloat", r.hincrbyfloat("h", "n", 0.5), 7.5)
    expect("hexists", r.hexists("h", "f1"), True)
    expect("hdel", r.hdel("h", "f1", "nope"), 1)
    expect("hlen", r.hlen("h"), 2)
    expect("hkeys", sorted(r.hkeys("h")), ["f2", "n"])
    expect("hsetnx", r.hsetnx("h", "f2", "z"), False)
    expect("hstrlen", r.hstrlen("h", "f2"), 1)
    expect("hrandfield count", sorted(r.hrandfield("h", 5)), ["f2", "n"])
    expect("hrandfield withvalues", sorted(r.hrandfield("h", 5, withvalues=True)), sorted(["f2", "b", "n", "7.5"]))

with section("lists"):
    expect("rpush", r.rpush("l", "a", "b", "c"), 3)
    expect("lpush", r.lpush("l", "z"), 4)
    expect("lrange", r.lrange("l", 0, -1), ["z", "a", "b", "c"])
    expect("lpop count", r.lpop("l", 2), ["z", "a"])
    expect("rpop", r.rpop("l"), "c")
    expect("linsert", r.linsert("l", "before", "b", "x"), 2)
    expect("lindex", r.lindex("l", 0), "x")
    expect("lpos", r.lpos("l", "b"), 1)
    expect("lmove", r.lmove("l", "l2", "LEFT", "RIGHT"), "x")
    expect("llen", (r.llen("l"), r.llen("l2")), (1, 1))
    expect("ltrim", r.ltrim("l", 1, -1), True)
    expect("exists after trim", r.exists("l"), 0)

with section("sets"):
    expect("sadd", r.sadd("st", "a", "b", "c"), 3)
    expect("smembers", r.smembers("st"), {"a", "b", "c"})
    expect("sismember", r.sismember("st", "a"), True)
    expect("smismember", r.smismember("st", ["a", "q"]), [1, 0])
    r.sadd("st2", "b", "c", "d")
    expect("sinter", r.sinter("st", "st2"), {"b", "c"})
    expect("sunionstore", r.sunionstore("su", ["st", "st2"]), 4)
    expect("sdiff", r.sdiff("st", "st2"), {"a"})
    expect("scard", r.scard("su"), 4)
    expect("srem", r.srem("st", "a", "q"), 1)
    expect("spop count", len(r.spop("su", 2)), 2)
    expect("srandmember", len(r.srandmember("st2", 2)), 2)
    expect("sintercard", r.sintercard(2, ["st", "st2"]), 2)

with section("sorted sets"):
    expect("zadd", r.zadd("z", {"a": 1, "b": 2.5, "c": -3}), 3)
    expect("zrange withscores", r.zrange("z", 0, -1, withscores=True), [("c", -3.0), ("a", 1.0), ("b", 2.5)])
    expect("zscore", r.zscore("z", "b"), 2.5)
    expect("zincrby", r.zincrby("z", 0.25, "a"), 1.25)
    expect("zrevrange", r.zrevrange("z", 0, 0, withscores=True), [("b", 2.5)])
    expect("zrangebyscore", r.zrangebyscore("z", "(-3", "+inf"), ["a", "b"])
    expect("zrank", r.zrank("z", "a"), 1)
    expect("zcount", r.zcount("z", "-inf", 0), 1)
    expect("zadd xx ch", r.zadd("z", {"a": 9, "q": 1}, xx=True, ch=True), 1)
    expect("zadd incr", r.zadd("z", {"a": 1}, incr=True), 10.0)
    expect("zpopmin", r.zpopmin("z"), [("c", -3.0)])
    expect("zmscore", r.zmscore("z", ["a", "nope"]), [10.0, None])
    expect("zrange byscore limit", r.zrange("z", 0, 100, byscore=True, offset=1, num=1), ["a"])
    expect("zadd inf", r.zadd("zi", {"x": float("inf"), "y": float("-inf")}), 2)
    expect("zrange inf", r.zrange("zi", 0, -1, withscores=True), [("y", float("-inf")), ("x", float("inf"))])
    expect("zunionstore weights", r.zunionstore("zu", {"z": 2, "zi": 1}), 4)
    expect("zscore after union", r.zscore("zu", "b"), 5.0)
    expect("zrangestore", r.zrangestore("zs", "z", 0, 0), 1)
    expect("zrandmember withscores", r.zrandmember("zs", 1, withscores=True), ["b", "2.5"])
    expect("zlexcount", r.zlexcount("zs", "-", "+"), 1)
    expect("zscore small float", (r.zadd("zf", {"m": 0.1}), r.zscore("zf", "m")), (1, 0.1))

with section("scan iterators"):
    r.mset({f"scan:{i}": str(i) for i in range(120)})
    expect("scan_iter match", len(set(r.scan_iter(match="scan:*", count=10))), 120)
    expect("scan_iter type", set(r.scan_iter(_type="zset")), {"z", "zi", "zu", "zs", "zf"})
    r.hset("bigh", mapping={f"f{i}": str(i) for i in range(300)})
    expect("hscan_iter", dict(r.hscan_iter("bigh", count=20)), {f"f{i}": str(i) for i in range(300)})
    expect("hscan_iter match", len(list(r.hscan_iter("bigh", match="f1*"))), 111)
    r.zadd("bigz", {f"m{i}": i / 4 for i in range(300)})
    expect("zscan_iter", dict(r.zscan_iter("bigz", count=20)), {f"m{i}": i / 4 for i in range(300)})
    r.sadd("bigs", *[f"s{i}" for i in range(300)])
    expect("sscan_iter", set(r.sscan_iter("bigs", count=20)), {f"s{i}" for i in range(300)})

with section("pipelines"):
    p = r.pipeline(transaction=False)
    p.set("p1", "1").incr("p1").get("p1").hset("ph", "a", "b").hgetall("ph").lpush("pl", 1, 2)
    expect("pipeline", p.execute(), [True, 2, "2", 1, {"a": "b"}, 2])
    p = r.pipeline(transaction=True)
    p.set("t1", "x").get("t1").zadd("tz", {"m": 1.5}).zrange("tz", 0, -1, withscores=True)
    expect("multi pipeline", p.execute(), [True, "x", 1, [("m", 1.5)]])
    p = r.pipeline()
    p.set("e1", "x").lpush("e1", "y").get("e1")
    res = p.execute(raise_on_error=False)
    expect("error inside exec: first", res[0], True)
    expect_true("error inside exec: WRONGTYPE", isinstance(res[1], redis.ResponseError) and str(res[1]).startswith("WRONGTYPE"), res[1])
    expect("error inside exec: last", res[2], "x")
    try:
        p = r.pipeline()
        p.set("e2", "x").execute_command("NOSUCHCOMMAND")
        p.execute()
        fail("queued unknown command", "no error")
    except redis.ResponseError as e:
        expect_true("unknown command aborts exec", "unknown command" in str(e) and "EXECABORT" in str(e) or "nosuchcommand" in str(e).lower(), str(e))
    expect("no write after execabort", r.get("e2"), None)

with section("watch/multi"):
    r.set("w", "1")
    other = connect(decode_responses=True)
    with r.pipeline() as p:
        p.watch("w")
        expect("read while watching", p.get("w"), "1")
        other.set("w", "2")
        p.multi()
        p.set("w", "3")
        try:
            p.execute()
            fail("conflicting write", "exec went through")
        except redis.WatchError:
            pass
    expect("value after WatchError", r.get("w"), "2")

    def incr_w(pipe):
        v = int(pipe.get("w"))
        pipe.multi()
        pipe.set("w", v + 1)

    expect("transaction helper", r.transaction(incr_w, "w"), [True])
    expect("value after transaction helper", r.get("w"), "3")
    other.close()

with section("pub/sub"):
    ps = r.pubsub()
    ps.subscribe("ch")
    expect("subscribe message", ps.get_message(timeout=1), {"type": "subscribe", "pattern": None, "channel": "ch", "data": 1})
    ps.psubscribe("news.*")
    expect("psubscribe message", ps.get_message(timeout=1), {"type": "psubscribe", "pattern": None, "channel": "news.*", "data": 2})
    expect("publish count", r.publish("ch", "hello"), 1)
    expect("message", ps.get_message(timeout=1), {"type": "message", "pattern": None, "channel": "ch", "data": "hello"})
    r.publish("news.sport", "goal")
    expect("pmessage", ps.get_message(timeout=1), {"type": "pmessage", "pattern": "news.*", "channel": "news.sport", "data": "goal"})
    expect("pubsub_channels", r.pubsub_channels(), ["ch"])
    expect("pubsub_numsub", r.pubsub_numsub("ch"), [("ch", 1)])
    expect("pubsub_numpat", r.pubsub_numpat(), 1)
    ps.unsubscribe("ch")
    expect("unsubscribe message", ps.get_message(timeout=1)["type"], "unsubscribe")
    ps.punsubscribe()
    expect("punsubscribe message", ps.get_message(timeout=1)["type"], "punsubscribe")
    ps.close()

    got = []
    done = threading.Event()

    def handler(msg):
        got.append(msg["data"])
        if len(got) == 3:
            done.set()

    ps = r.pubsub()
    ps.subscribe(**{"events": handler})
    ps.psubscribe(**{"ev*": handler})
    worker = ps.run_in_thread(sleep_time=0.01, daemon=True)
    # The thread subscribes on its first pass: wait for it (publishing earlier would be lost).
    deadline = time.time() + 5
    while not (r.pubsub_numsub("events")[0][1] == 1 and r.pubsub_numpat() == 1):
        expect_true("run_in_thread subscribed", time.time() < deadline, r.pubsub_numsub("events"))
        time.sleep(0.01)
    r.publish("events", "one")
    r.publish("evx", "two")
    expect_true("run_in_thread handler called", done.wait(3), got)
    expect("run_in_thread got", sorted(got), ["one", "one", "two"])
    worker.stop()
    worker.join(2)
    ps.close()

    # CLIENT KILL TYPE pubsub: redis-py raises once, then reconnects and subscribes again.
    ps = r.pubsub()
    ps.subscribe("again")
    ps.psubscribe("again.*")
    expect("subscribed", [ps.get_message(timeout=1)["type"] for _ in range(2)], ["subscribe", "psubscribe"])
    expect("client_kill_filter type pubsub", r.client_kill_filter(_type="pubsub"), 1)
    try:
        ps.get_message(timeout=1)
        fail("read from a killed connection", "no error")
    except redis.ConnectionError:
        pass
    again = [ps.get_message(timeout=1) for _ in range(2)]
    expect("subscribed again", sorted((m["type"], m["channel"]) for m in again), [("psubscribe", "again.*"), ("subscribe", "again")])
    expect("publish after reconnect", r.publish("again.x", "back"), 1)
    expect("message after reconnect", ps.get_message(timeout=1)["data"], "back")
    ps.close()

with section("lock"):
    lock = r.lock("res", timeout=5)
    expect("acquire", lock.acquire(blocking=False), True)
    expect("second acquire", r.lock("res", timeout=5).acquire(blocking=False), False)
    expect("owned", lock.owned(), True)
    expect("extend", lock.extend(10), True)
    expect_true("ttl after extend", 14000 < r.pttl("res") <= 15000, r.pttl("res"))
    expect("reacquire", lock.reacquire(), True)
    expect_true("ttl after reacquire", 4000 < r.pttl("res") <= 5000, r.pttl("res"))
    lock.release()
    expect("released", r.exists("res"), 0)
    try:
        lock.release()
        fail("release twice", "no error")
    except redis.exceptions.LockError:
        pass
    with r.lock("res2", timeout=2, blocking_timeout=1):
        expect("inside with", r.exists("res2"), 1)
    expect("after with", r.exists("res2"), 0)

with section("register_script"):
    script = r.register_script("return {KEYS[1], ARGV[1], redis.call('incrby', KEYS[1], ARGV[1])}")
    expect("script run", script(keys=["sc"], args=[5]), ["sc", "5", 5])
    expect("script again (EVALSHA)", script(keys=["sc"], args=[1]), ["sc", "1", 6])
    r.script_flush()
    expect("script after flush (NOSCRIPT then EVAL)", script(keys=["sc"], args=[1]), ["sc", "1", 7])
    expect("script_exists", r.script_exists(script.sha), [True])
    p = r.pipeline()
    script(keys=["sc"], args=[1], client=p)
    expect("script in pipeline", p.execute(), [["sc", "1", 8]])
    try:
        r.eval("return redis.call('nosuch')", 0)
        fail("script error", "no error")
    except redis.ResponseError as e:
        expect_true("script error text", "Unknown Redis command" in str(e), str(e))
    expect("eval float", r.eval("return 3.99", 0), 3)
    expect("eval status", r.eval("return redis.status_reply('FINE')", 0), "FINE")
    expect("Lua's redis.REDIS_VERSION is INFO's", r.eval("return redis.REDIS_VERSION", 0), r.info("server")["redis_version"])

with section("streams"):
    ids = [r.xadd("x", {"n": str(i)}) for i in range(5)]
    expect("xlen", r.xlen("x"), 5)
    expect("xrange", r.xrange("x", count=2), [(ids[0], {"n": "0"}), (ids[1], {"n": "1"})])
    expect("xgroup_create", r.xgroup_create("x", "g", id="0"), True)
    got = r.xreadgroup("g", "c1", {"x": ">"}, count=3)
    expect("xreadgroup", got, [["x", [(ids[i], {"n": str(i)}) for i in range(3)]]])
    expect("xack", r.xack("x", "g", ids[0]), 1)
    expect("xpending summary", r.xpending("x", "g"), {"pending": 2, "min": ids[1], "max": ids[2], "consumers": [{"name": "c1", "pending": 2}]})
    rng = r.xpending_range("x", "g", "-", "+", 10)
    expect("xpending_range ids", [e["message_id"] for e in rng], ids[1:3])
    expect("xpending_range consumer", [e["consumer"] for e in rng], ["c1", "c1"])
    expect("xpending_range deliveries", [e["times_delivered"] for e in rng], [1, 1])
    time.sleep(0.02)
    claimed = r.xautoclaim("x", "g", "c2", min_idle_time=10, start_id="0-0", count=10)
    expect("xautoclaim next", claimed[0], "0-0")
    expect("xautoclaim entries", claimed[1], [(ids[1], {"n": "1"}), (ids[2], {"n": "2"})])
    just = r.xautoclaim("x", "g", "c3", min_idle_time=0, justid=True)
    expect("xautoclaim justid", just, [ids[1], ids[2]])
    expect("xclaim", r.xclaim("x", "g", "c1", 0, [ids[1]]), [(ids[1], {"n": "1"})])
    info = r.xinfo_groups("x")
    expect("xinfo_groups", (info[0]["name"], info[0]["consumers"], info[0]["pending"], info[0]["last-delivered-id"]), ("g", 3, 2, ids[2]))
    cons = {c["name"]: c["pending"] for c in r.xinfo_consumers("x", "g")}
    expect("xinfo_consumers", cons, {"c1": 1, "c2": 0, "c3": 1})
    sinfo = r.xinfo_stream("x")
    expect("xinfo_stream", (sinfo["length"], sinfo["first-entry"], sinfo["last-entry"], sinfo["groups"]), (5, (ids[0], {"n": "0"}), (ids[4], {"n": "4"}), 1))
    expect("xtrim", r.xtrim("x", maxlen=2, approximate=False), 3)
    expect("xread", r.xread({"x": "0"}), [["x", [(ids[3], {"n": "3"}), (ids[4], {"n": "4"})]]])
    expect("xdel", r.xdel("x", ids[3]), 1)
    expect("xrevrange", r.xrevrange("x", count=1), [(ids[4], {"n": "4"})])

with section("client, info, introspection"):
    expect("client_setname", r.client_setname("py-app"), True)
    expect("client_getname", r.client_getname(), "py-app")
    mine = [c for c in r.client_list() if c["name"] == "py-app"]
    expect("client_list finds me", len(mine), 1)
    me = mine[0]
    for field in ("id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "multi", "qbuf", "obl", "oll", "omem", "events", "cmd", "user", "resp"):
        expect_true(f"client_list field {field}", field in me, sorted(me))
    expect("client_list cmd", me["cmd"], "client|list")
    expect("client_list db", me["db"], "0")
    expect("client_id", r.client_id(), int(me["id"]))
    cinfo = r.client_info()
    expect("client_info name", (cinfo["name"], str(cinfo["id"])), ("py-app", str(me["id"])))
    info = r.info()
    for key, typ in (("redis_version", str), ("uptime_in_seconds", int), ("connected_clients", int), ("used_memory", int), ("used_memory_human", str), ("role", str), ("total_commands_processed", int), ("keyspace_hits", int), ("tcp_port", int), ("mem_fragmentation_ratio", (int, float)), ("db0", dict)):
        expect_true(f"info {key} parsed as {typ}", isinstance(info.get(key), typ), (key, info.get(key)))
    expect("info tcp_port", info["tcp_port"], port)
    expect_true("info db0 keys", info["db0"]["keys"] > 100 and "expires" in info["db0"], info["db0"])
    every = r.info("everything")
    sections = {}
    conn = r.connection_pool.get_connection("INFO")
    conn.send_command("INFO", "everything")
    raw = conn.read_response()
    r.connection_pool.release(conn)
    # redis-py parses INFO into one dict; parse it section by section too, so a line that does
    # not parse shows under its own section (parse_info raises or drops it otherwise).
    current = None
    for line in raw.splitlines():
        if line.startswith("# "):
            current = line[2:]
            sections[current] = {}
        elif line:
            if ":" not in line:
                fail(f"info line in {current}", line)
            sections[current].update(redis.client.parse_info(line))
    for name in ("Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Errorstats", "Cluster", "Keyspace", "Commandstats", "Latencystats"):
        expect_true(f"info section {name}", name in sections, sorted(sections))
    for name, fields in sections.items():
        for k, v in fields.items():
            if k not in every or type(every[k]) is not type(v):
                fail(f"info everything field {name}.{k}", (every.get(k), v))
    expect_true("commandstats parsed to dict", isinstance(every.get("cmdstat_set"), dict) and every["cmdstat_set"]["calls"] >= 1, every.get("cmdstat_set"))
    # One field without a comma stays a string in redis-py 4.3's parse_info, as with Redis.
    expect_true("errorstats parsed", str(every.get("errorstat_WRONGTYPE")).startswith("count="), every.get("errorstat_WRONGTYPE"))
    expect("no unparsed info lines", every.get("__raw__"), None)
    expect_true("latencystats parsed", isinstance(every.get("latency_percentiles_usec_set"), dict) and "p50" in every["latency_percentiles_usec_set"], every.get("latency_percentiles_usec_set"))
    for name in ("server", "clients", "memory", "stats", "replication", "cpu", "keyspace", "commandstats", "errorstats", "persistence"):
        expect_true(f"info({name}) is a non-empty dict", isinstance(r.info(name), dict), name)
    expect("info keyspace", set(r.info("keyspace")), {"db0"})
    mu = r.memory_usage("bigh")
    expect_true("memory_usage int", isinstance(mu, int) and mu > 300, mu)
    expect("memory_usage missing", r.memory_usage("nope"), None)
    expect("memory_usage samples", isinstance(r.memory_usage("bigh", samples=0), int), True)
    expect("object encoding", isinstance(r.object("encoding", "bigh"), str), True)
    expect("object refcount", r.object("refcount", "s"), 1)
    expect_true("object idletime", isinstance(r.object("idletime", "s"), int), r.object("idletime", "s"))
    cfg = r.config_get("maxmemory*")
    expect_true("config_get maxmemory", "maxmemory" in cfg and "maxmemory-policy" in cfg, cfg)
    expect("config_get one", r.config_get("timeout"), {"timeout": "0"})
    expect("config_set", r.config_set("maxmemory-policy", "allkeys-lru"), True)
    expect("config_get after set", r.config_get("maxmemory-policy"), {"maxmemory-policy": "allkeys-lru"})
    r.config_set("maxmemory-policy", "noeviction")
    t = r.time()
    expect_true("time", isinstance(t, tuple) and abs(t[0] - time.time()) < 5 and 0 <= t[1] < 1000000, t)
    expect("dbsize", r.dbsize() > 100, True)
    expect("ping", r.ping(), True)
    expect("echo", r.echo("hi"), "hi")
    expect_true("lastsave", r.lastsave() is not None, None)
    expect("randomkey", isinstance(r.randomkey(), str), True)
    expect_true("command_count", r.command_count() > 150, r.command_count())
    cmds = r.command()
    expect_true("command parsed", cmds["get"]["arity"] == 2 and "readonly" in cmds["get"]["flags"], cmds.get("get"))
    expect("slowlog_get", isinstance(r.slowlog_get(), list), True)
    expect("slowlog_len", isinstance(r.slowlog_len(), int), True)

with section("blocking pops"):
    start = time.time()
    expect("blpop timeout", r.blpop(["bl1", "bl2"], timeout=0.2), None)
    expect_true("blpop waited", time.time() - start >= 0.18, time.time() - start)
    pusher = connect()
    threading.Timer(0.1, lambda: pusher.rpush("bl2", "x")).start()
    expect("blpop woken", r.blpop(["bl1", "bl2"], timeout=2), ("bl2", "x"))
    expect("brpop immediate", (r.rpush("bl1", "y"), r.brpop("bl1", timeout=1)), (1, ("bl1", "y")))
    threading.Timer(0.1, lambda: pusher.zadd("bz", {"m": 2.5})).start()
    expect("bzpopmin woken", r.bzpopmin("bz", timeout=2), ("bz", "m", 2.5))
    expect("blmove timeout", r.blmove("bl1", "bl3", 0.1), None)
    pusher.close()

with section("acl and auth with username"):
    expect("acl_log_reset", r.acl_log_reset(), True)
    expect("acl_setuser", r.acl_setuser("pyuser", enabled=True, passwords=["+secret"], commands=["+get", "+set", "+ping", "+acl|whoami"], keys=["app:*"]), True)
    u = r.acl_getuser("pyuser")
    expect_true("acl_getuser", u["enabled"] and "app:*" in str(u["keys"]) and "+get" in u["commands"], u)
    expect_true("acl_users", "pyuser" in r.acl_users(), r.acl_users())
    expect_true("acl_list", any(line.startswith("user pyuser on") for line in r.acl_list()), r.acl_list())
    expect_true("acl_cat", "string" in r.acl_cat(), r.acl_cat())
    u2 = connect(decode_responses=True, username="pyuser", password="secret")
    expect("auth with username", u2.acl_whoami(), "pyuser")
    expect("allowed set", u2.set("app:1", "v"), True)
    try:
        u2.set("other", "v")
        fail("key outside pattern", "allowed")
    except redis.exceptions.NoPermissionError as e:
        expect_true("NOPERM text", str(e) == "this user has no permissions to access one of the keys used as arguments", str(e))
    try:
        u2.incr("app:1")
        fail("command not allowed", "allowed")
    except redis.exceptions.NoPermissionError as e:
        expect_true("NOPERM command text", str(e) == "this user has no permissions to run the 'incrby' command", str(e))
    u2.close()
    u3 = connect(decode_responses=True)
    expect("auth command", u3.auth("secret", username="pyuser"), True)
    expect("whoami after auth", u3.acl_whoami(), "pyuser")
    try:
        connect(username="pyuser", password="wrong").ping()
        fail("wrong password", "accepted")
    except redis.exceptions.ResponseError as e:  # redis-py 4.3 maps only "invalid password" to AuthenticationError
        expect_true("WRONGPASS", str(e) == "WRONGPASS invalid username-password pair or user is disabled.", str(e))
    u3.close()
    log = r.acl_log()
    expect_true("acl_log entries", len(log) >= 2 and {"reason", "object", "username"} <= set(log[0]), log[:1])
    denied = {e["object"]: e for e in log if e["reason"] in ("key", "command")}
    expect("acl_log denied objects", sorted(denied), ["incrby", "other"])
    expect("acl_log client-info of the denied command", (denied["other"]["client-info"]["cmd"], denied["incrby"]["client-info"]["cmd"]), ("set", "incrby"))
    # The failed login is logged with the command's name as redis-py sent it.
    expect("acl_log failed login", [(e["object"], e["username"]) for e in log if e["reason"] == "auth"], [("AUTH", "pyuser")])
    # reset=True sends reset, which sets Redis 7.0's sanitize-payload flag.
    expect("acl_setuser reset", r.acl_setuser("pyreset", reset=True, enabled=True, nopass=True, commands=["+ping"]), True)
    expect("acl_getuser flags after reset", r.acl_getuser("pyreset")["flags"], ["on", "nopass", "sanitize-payload"])
    expect("acl_deluser", r.acl_deluser("pyuser", "pyreset"), 2)

with section("monitor"):
    # sealkv redacts MONITOR lines (a deliberate difference: values never leave the process);
    # redis-py's Monitor must still parse them, and no value may show through it.
    sealkv = "sealkv_version" in r.info("server")
    with r.monitor() as m:
        writer = connect()
        threading.Timer(0.1, lambda: (writer.set("mon-key", "mon-secret-value"), writer.get("mon-key"))).start()
        seen = [m.next_command() for _ in range(2)]
    for cmd in seen:
        expect_true("monitor line parsed", {"time", "db", "client_address", "client_port", "command"} <= set(cmd) and cmd["db"] == 0, cmd)
    expect("monitor commands", [c["command"].split(" ")[0].lower() for c in seen], ["set", "get"])
    if sealkv:
        expect_true("no value in monitor output", all("mon-secret-value" not in c["command"] and "mon-key" not in c["command"] for c in seen), seen)
    writer.close()

with section("bytes round trip"):
    b = connect()
    blob = bytes(range(256)) * 4
    b.set(b"bin\x00key", blob)
    expect("binary value", b.get(b"bin\x00key"), blob)
    b.hset("bh", b"\xff", blob)
    expect("binary hash", b.hgetall("bh"), {b"\xff": blob})
    expect("keys bytes", sorted(b.keys(b"bin*")), [b"bin\x00key"])
    b.close()

print("redis-py sync ok", sys.argv[2])
