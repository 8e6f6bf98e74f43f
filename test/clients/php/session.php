<?php
// PHP's redis session handler (session.save_handler=redis) against the server on argv[1]:
// `php session.php PORT` runs this file twice more as separate PHP processes, one writing a
// session and one reading it back (and changing it), with phpredis's session locking on, then
// checks what is stored. Exits 1 with what was expected and what came back on a wrong read-back.

function expect_eq(string $what, $got, $want): void {
    if ($got === $want) return;
    fwrite(STDERR, "FAIL $what: want " . var_export($want, true) . ", got " . var_export($got, true) . "\n");
    exit(1);
}

$port = (int)$argv[1];
$mode = $argv[2] ?? 'check';
$sid = 'rbphpsession0123456789abcdef';

if ($mode === 'write') {
    session_id($sid);
    expect_eq('session_start (write)', session_start(), true);
    expect_eq('new session empty', $_SESSION, []);
    $_SESSION['user'] = 'alice';
    $_SESSION['visits'] = 1;
    $_SESSION['cart'] = ['apple' => 2, 'pear' => 0.5];
    expect_eq('session_write_close', session_write_close(), true);
    echo "written\n";
    exit(0);
}
if ($mode === 'read') {
    session_id($sid);
    expect_eq('session_start (read)', session_start(), true);
    expect_eq('session read back', $_SESSION, ['user' => 'alice', 'visits' => 1, 'cart' => ['apple' => 2, 'pear' => 0.5]]);
    $_SESSION['visits']++;
    session_write_close();
    echo "read\n";
    exit(0);
}
if ($mode === 'destroy') {
    session_id($sid);
    session_start();
    expect_eq('visits seen by a third process', $_SESSION['visits'], 2);
    expect_eq('session_destroy', session_destroy(), true);
    echo "destroyed\n";
    exit(0);
}

$r = new Redis();
$r->connect('127.0.0.1', $port, 2.0);
$r->del("PHPREDIS_SESSION:$sid", "PHPREDIS_SESSION:{$sid}_LOCK");
$ini = [
    '-d', 'session.save_handler=redis',
    '-d', "session.save_path=\"tcp://127.0.0.1:$port?timeout=2\"",
    '-d', 'session.gc_maxlifetime=600',
    '-d', 'session.use_cookies=0',
    '-d', 'session.use_strict_mode=0',
    '-d', 'redis.session.locking_enabled=1',
    '-d', 'redis.session.lock_wait_time=20000',
    '-d', 'redis.session.lock_retries=50',
    '-d', 'redis.session.lock_expire=5',
];
$run = function (string $step) use ($ini, $port): void {
    $cmd = array_merge([PHP_BINARY], $ini, [__FILE__, (string)$port, $step]);
    $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    $out = stream_get_contents($pipes[1]);
    $err = stream_get_contents($pipes[2]);
    $code = proc_close($p);
    if ($code !== 0) {
        fwrite(STDERR, "FAIL session step $step exited $code: $out$err\n");
        exit(1);
    }
};
$run('write');
$stored = $r->get("PHPREDIS_SESSION:$sid");
expect_eq('stored session', $stored, 'user|s:5:"alice";visits|i:1;cart|a:2:{s:5:"apple";i:2;s:4:"pear";d:0.5;}');
$ttl = $r->ttl("PHPREDIS_SESSION:$sid");
expect_eq('session ttl = gc_maxlifetime', $ttl >= 598 && $ttl <= 600, true);
expect_eq('lock released after write', $r->exists("PHPREDIS_SESSION:{$sid}_LOCK"), 0);
$run('read');
expect_eq('second process wrote back', str_contains((string)$r->get("PHPREDIS_SESSION:$sid"), 'visits|i:2;'), true);
expect_eq('lock released after read', $r->exists("PHPREDIS_SESSION:{$sid}_LOCK"), 0);

// A lock held by someone else: the next session_start waits, then the lock is taken over
// once released (phpredis polls with SET NX PX).
$r->set("PHPREDIS_SESSION:{$sid}_LOCK", 'someone-else', ['px' => 300]);
$t0 = microtime(true);
$run('destroy');
expect_eq('waited for the held lock', microtime(true) - $t0 >= 0.25, true);
expect_eq('session destroyed', $r->exists("PHPREDIS_SESSION:$sid"), 0);
echo "ok session\n";
