# Runs Redis's sentinel suite (tests/sentinel/run.tcl of the source tree, started from its root)
# with the instances' ports taken from a range of our own: Redis 7.0's instances.tcl fixes them
# (sentinels from 20000, servers from 30000, 1024 candidates each) and has no option to move them.
# The range is read from the environment: SENTINEL_SUITE_PORT is the servers' first port, the
# sentinels' come SENTINEL_SUITE_PORT_COUNT above it. SENTINEL_SUITE_SKIP names tests (one a
# line) to skip, each printed as "<time>> <name>: SKIPPED": Redis's `test` is wrapped for that.
# run.tcl is evaluated unchanged but for that code after it sources instances.tcl; arguments
# pass through to its option parser.
set base $::env(SENTINEL_SUITE_PORT)
set count $::env(SENTINEL_SUITE_PORT_COUNT)
set fd [open tests/sentinel/run.tcl]
set script [read $fd]
close $fd
set anchor "source ../instances.tcl\n"
if {[string first $anchor $script] < 0} { error "run.tcl no longer sources ../instances.tcl" }
set ports "set ::redis_base_port $base\nset ::sentinel_base_port [expr {$base + $count}]\nset ::redis_port_count $count\n"
set skipping {
    set ::suite_skip [split [string trim $::env(SENTINEL_SUITE_SKIP)] "\n"]
    rename test suite_test
    proc test {descr code} {
        if {$descr in $::suite_skip} {
            puts "[clock format [clock seconds] -format %H:%M:%S]> $descr: SKIPPED"
            return
        }
        # Called from the caller's level, so the test's own `uplevel 1 $code` runs there; its
        # codes (error, or continue after a failed assertion) are passed on as they came.
        set rc [catch {uplevel 1 [list suite_test $descr $code]} res opts]
        if {$rc == 1} { return -code error -errorinfo [dict get $opts -errorinfo] $res }
        return -code $rc $res
    }
}
eval [string map [list $anchor "$anchor$ports$skipping"] $script]
