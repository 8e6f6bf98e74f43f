<?php
// phpredis 5.3's RedisCluster against a sealkv cluster whose nodes are argv[1..]: keys spread
// over the nodes by slot, cross-slot MGET/MSET/DEL split by phpredis, MULTI and EVAL on one
// slot, SCAN and INFO per master. Prints "ok cluster"; a wrong read-back exits 1 with what was
// expected and what came back.

function expect_eq(string $what, $got, $want): void {
    if ($got === $want) return;
    fwrite(STDERR, "FAIL $what: want " . var_export($want, true) . ", got " . var_export($got, true) . "\n");
    exit(1);
}

$seeds = array_map(fn ($p) => "127.0.0.1:$p", array_slice($argv, 1));
$c = new RedisCluster(null, $seeds, 2.0, 2.0);
$masters = $c->_masters();
expect_eq('masters', count($masters), count($seeds));
foreach ($masters as $m) $c->flushAll($m);

for ($i = 0; $i < 40; $i++) $c->set("k$i", "v$i");
$perNode = array_map(fn ($m) => $c->dbSize($m), $masters);
expect_eq('keys on every node', min($perNode) > 0 && array_sum($perNode) === 40, true);
$back = [];
for ($i = 0; $i < 40; $i++) $back[] = $c->get("k$i");
expect_eq('get', $back, array_map(fn ($i) => "v$i", range(0, 39)));
expect_eq('mget across slots', $c->mget(['k1', 'k2', 'k3', 'nope']), ['v1', 'v2', 'v3', false]);
expect_eq('mset across slots', $c->mset(['a1' => '1', 'b2' => '2', 'c3' => '3']), true);
expect_eq('del across slots', $c->del('a1', 'b2', 'c3', 'nope'), 3);
expect_eq('multi on one slot', $c->multi()->set('{u}a', '1')->incr('{u}a')->get('{u}a')->exec(), [true, 2, '2']);
expect_eq('eval', $c->eval("return redis.call('get', KEYS[1])", ['k1'], 1), 'v1');
expect_eq('zAdd/zRange with scores', [$c->zAdd('z', 1.5, 'a'), $c->zRange('z', 0, -1, true)], [1, ['a' => 1.5]]);
expect_eq('hGetAll', [$c->hSet('h', 'f', 'v'), $c->hGetAll('h')], [1, ['f' => 'v']]);
expect_eq('blPop timeout on one slot', $c->blPop(['{q}a', '{q}b'], 1), []);

$seen = 0;
foreach ($masters as $m) {
    $it = null;
    while (($keys = $c->scan($it, $m, 'k*', 100)) !== false) $seen += count($keys);
}
expect_eq('scan every master', $seen, 40);
foreach ($masters as $m) {
    $info = $c->info($m);
    expect_eq('info redis_mode', $info['redis_mode'] ?? null, 'cluster');
    expect_eq('info cluster_enabled', $info['cluster_enabled'] ?? null, 1);
    expect_eq('cluster info state', str_starts_with($c->rawCommand($m, 'CLUSTER', 'INFO'), "cluster_state:ok\r\n"), true);
}
echo "ok cluster\n";
