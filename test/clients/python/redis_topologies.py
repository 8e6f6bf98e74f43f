"""redis-py's RedisCluster and Sentinel clients against sealkv topologies the test started.

Usage: redis_topologies.py cluster PORT NODE_COUNT
       redis_topologies.py sentinel SENTINEL_PORT SERVICE_NAME PRIMARY_PORT REPLICA_PORT
"""

import logging
import sys

import redis
from redis.cluster import RedisCluster
from redis.sentinel import Sentinel

from check import expect, expect_true, section

mode = sys.argv[1]
# RedisCluster logs every error reply with a traceback (log.exception), including the NOSCRIPT
# that register_script answers by loading the script, as against Redis Cluster: keep stderr for
# this script's own verdict.
logging.getLogger("redis.cluster").addHandler(logging.NullHandler())

if mode == "cluster":
    port, count = int(sys.argv[2]), int(sys.argv[3])
    rc = RedisCluster(host="127.0.0.1", port=port, decode_responses=True)
    with section("cluster topology"):
        expect("primaries", len(rc.get_primaries()), count)
        expect("keyslot", rc.cluster_keyslot("foo"), 12182)
        expect("cluster_info state", rc.cluster_info()["cluster_state"], "ok")
        shards = rc.cluster_shards()
        expect("cluster_shards", sorted(s["slots"][0][0] for s in shards)[0], 0)
    with section("cluster keys"):
        for i in range(40):
            rc.set(f"k{i}", i)
        expect("get across slots", [rc.get(f"k{i}") for i in range(40)], [str(i) for i in range(40)])
        expect("mget_nonatomic", rc.mget_nonatomic([f"k{i}" for i in range(40)]), [str(i) for i in range(40)])
        expect("hash tags mget", (rc.mset({"{u1}a": "1", "{u1}b": "2"}), rc.mget("{u1}a", "{u1}b")), (True, ["1", "2"]))
        expect("dbsize over all nodes", rc.dbsize(target_nodes=RedisCluster.ALL_NODES), 42)
        expect("scan_iter over all nodes", len(set(rc.scan_iter(match="k*", count=7))), 40)
        per_node = {n.port: rc.dbsize(target_nodes=n) for n in rc.get_primaries()}
        expect_true("keys on every node", all(v > 0 for v in per_node.values()), per_node)
        try:
            # redis-py refuses a cross-slot MGET itself, so ask one node directly (k1, k2: different slots)
            redis.Redis(host="127.0.0.1", port=port).execute_command("MGET", "k1", "k2")
            expect("CROSSSLOT", "no error", "error")
        except redis.ResponseError as e:
            expect_true("CROSSSLOT text", "CROSSSLOT" in str(e), str(e))
    with section("cluster pipeline, script, lock, pub/sub"):
        p = rc.pipeline()
        for i in range(20):
            p.incr(f"c{i}")
        expect("pipeline across slots", p.execute(), [1] * 20)
        script = rc.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
        expect("script", [script(keys=[f"s{i}"], args=[i]) for i in range(5)], list(range(5)))
        lock = rc.lock("lk", timeout=5)
        expect("lock", (lock.acquire(blocking=False), lock.locked()), (True, True))
        lock.release()
        ps = rc.pubsub()
        ps.subscribe("ch")
        expect("subscribe", ps.get_message(timeout=1)["type"], "subscribe")
        rc.publish("ch", "x")
        expect("message", ps.get_message(timeout=1)["data"], "x")
        ps.close()
    rc.close()
    print("redis-py cluster ok")

elif mode == "sentinel":
    sport, name, primary, replica = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    s = Sentinel([("127.0.0.1", sport)], socket_timeout=2)
    with section("sentinel discovery"):
        expect("discover_master", s.discover_master(name), ("127.0.0.1", primary))
        expect("discover_slaves", s.discover_slaves(name), [("127.0.0.1", replica)])
        expect("sentinel_master", s.sentinels[0].sentinel_master(name)["port"], primary)
    with section("sentinel clients"):
        m = s.master_for(name, decode_responses=True)
        expect("write to primary", m.set("sk", "v"), True)
        expect("replica caught up", m.wait(1, 2000), 1)
        expect("primary role", m.info("replication")["role"], "master")
        r = s.slave_for(name, decode_responses=True)
        expect("read from replica", r.get("sk"), "v")
        expect("replica role", r.info("replication")["role"], "slave")
        try:
            r.set("sk", "w")
            expect("write to replica refused", "no error", "READONLY")
        except redis.exceptions.ReadOnlyError as e:
            expect_true("READONLY text", "read only replica" in str(e), str(e))
    print("redis-py sentinel ok")
