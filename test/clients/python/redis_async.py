"""redis-py's asyncio client as apps use it, checked on what it reads back.

Usage: redis_async.py PORT PARSER   (PARSER: python | hiredis)
"""

import asyncio
import sys
import time

import redis
import redis.asyncio as aioredis
from redis.asyncio.connection import HiredisParser, PythonParser

from check import expect, expect_true, fail, section

port = int(sys.argv[1])
parser = {"python": PythonParser, "hiredis": HiredisParser}[sys.argv[2]]


def connect(**kw):
    pool = aioredis.ConnectionPool(host="127.0.0.1", port=port, parser_class=parser, **kw)
    return aioredis.Redis(connection_pool=pool)


async def main():
    r = connect(decode_responses=True)
    await r.flushall()
    conn = await r.connection_pool.get_connection("PING")
    expect("parser in use", type(conn._parser), parser)
    await r.connection_pool.release(conn)

    with section("async strings, hashes, sorted sets"):
        expect("set ex", await r.set("s", "v", ex=100), True)
        expect("get", await r.get("s"), "v")
        expect_true("ttl", 98 <= await r.ttl("s") <= 100, None)
        expect("hset", await r.hset("h", mapping={"a": "1", "b": "2"}), 2)
        expect("hgetall", await r.hgetall("h"), {"a": "1", "b": "2"})
        expect("zadd", await r.zadd("z", {"a": 1.5, "b": -2}), 2)
        expect("zrange withscores", await r.zrange("z", 0, -1, withscores=True), [("b", -2.0), ("a", 1.5)])
        expect("rpush/lrange", (await r.rpush("l", 1, 2, 3), await r.lrange("l", 0, -1)), (3, ["1", "2", "3"]))
        expect("sadd/smembers", (await r.sadd("st", "x", "y"), await r.smembers("st")), (2, {"x", "y"}))
        expect("many at once", await asyncio.gather(*(r.incr("cnt") for _ in range(50))), list(range(1, 51)))

    with section("async scan iterators"):
        await r.mset({f"k:{i}": i for i in range(150)})
        expect("scan_iter", len({k async for k in r.scan_iter(match="k:*", count=13)}), 150)
        await r.hset("bigh", mapping={f"f{i}": i for i in range(200)})
        expect("hscan_iter", len({k async for k in r.hscan_iter("bigh", count=17)}), 200)
        await r.zadd("bigz", {f"m{i}": i * 0.5 for i in range(200)})
        got = {}
        async for m, s in r.zscan_iter("bigz", count=17):
            got[m] = s
        expect("zscan_iter", got, {f"m{i}": i * 0.5 for i in range(200)})

    with section("async pipelines and watch"):
        async with r.pipeline(transaction=True) as p:
            p.set("a", "1").incr("a").get("a")
            expect("multi pipeline", await p.execute(), [True, 2, "2"])
        async with r.pipeline(transaction=False) as p:
            p.hset("ph", "f", "v").hget("ph", "f")
            expect("plain pipeline", await p.execute(), [1, "v"])
        other = connect(decode_responses=True)
        async with r.pipeline() as p:
            await p.watch("a")
            expect("read while watching", await p.get("a"), "2")
            await other.set("a", "9")
            p.multi()
            p.set("a", "3")
            try:
                await p.execute()
                fail("conflicting write", "exec went through")
            except redis.WatchError:
                pass
        expect("value after WatchError", await r.get("a"), "9")
        await other.close()

    with section("async pub/sub"):
        ps = r.pubsub()
        await ps.subscribe("ch")
        await ps.psubscribe("p.*")
        first = [await ps.get_message(timeout=1) for _ in range(2)]
        expect("subscribe replies", [(m["type"], m["channel"], m["data"]) for m in first], [("subscribe", "ch", 1), ("psubscribe", "p.*", 2)])
        await r.publish("ch", "m1")
        await r.publish("p.x", "m2")
        msgs = []
        deadline = time.time() + 2
        while len(msgs) < 2 and time.time() < deadline:
            m = await ps.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if m:
                msgs.append((m["type"], m["pattern"], m["channel"], m["data"]))
        expect("messages", msgs, [("message", None, "ch", "m1"), ("pmessage", "p.*", "p.x", "m2")])
        await ps.unsubscribe()
        await ps.punsubscribe()
        await ps.close()

    with section("async lock and script"):
        lock = r.lock("res", timeout=5)
        expect("acquire", await lock.acquire(blocking=False), True)
        expect("second acquire", await r.lock("res", timeout=5).acquire(blocking=False), False)
        expect("extend", await lock.extend(10), True)
        expect_true("ttl after extend", 14000 < await r.pttl("res") <= 15000, None)
        await lock.release()
        expect("released", await r.exists("res"), 0)
        script = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
        expect("script", await script(keys=["sc"], args=[4]), 4)
        await r.script_flush()
        expect("script after flush", await script(keys=["sc"], args=[4]), 8)

    with section("async streams"):
        ids = [await r.xadd("x", {"i": str(i)}) for i in range(3)]
        await r.xgroup_create("x", "g", id="0")
        got = await r.xreadgroup("g", "c", {"x": ">"}, count=10)
        expect("xreadgroup", got, [["x", [(ids[i], {"i": str(i)}) for i in range(3)]]])
        expect("xack", await r.xack("x", "g", ids[0], ids[1]), 2)
        expect("xpending", (await r.xpending("x", "g"))["pending"], 1)
        reader = connect(decode_responses=True)
        waiting = asyncio.create_task(reader.xreadgroup("g", "c", {"x": ">"}, count=1, block=2000))
        await asyncio.sleep(0.1)
        new_id = await r.xadd("x", {"i": "late"})
        expect("xreadgroup block woken", await waiting, [["x", [(new_id, {"i": "late"})]]])
        await reader.close()

    with section("async blocking pops and info"):
        start = time.time()
        expect("blpop timeout", await r.blpop(["nothing"], timeout=0.2), None)
        expect_true("blpop waited", time.time() - start >= 0.18, time.time() - start)
        popper = connect(decode_responses=True)
        waiting = asyncio.create_task(popper.blpop(["q"], timeout=2))
        await asyncio.sleep(0.1)
        await r.rpush("q", "job")
        expect("blpop woken", await waiting, ("q", "job"))
        await popper.close()
        info = await r.info()
        expect("info tcp_port", info["tcp_port"], port)
        expect_true("info clients", info["connected_clients"] >= 1, info["connected_clients"])
        await r.client_setname("aio")
        expect("client_list name", [c["name"] for c in await r.client_list() if c["name"] == "aio"], ["aio"])
        expect_true("time", abs((await r.time())[0] - time.time()) < 5, None)

    await r.close()
    print("redis-py asyncio ok", sys.argv[2])


asyncio.run(main())
