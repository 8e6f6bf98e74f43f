# Sidekiq 6.4 as an app runs it, against the server on ARGV[0] (port): a client pushes jobs
# (now, scheduled 1 s ahead, one that raises), a real `sidekiq -c 2` process runs them, and the
# results are read back from what the workers wrote and through Sidekiq's API. Exits 1 with
# what was expected and what came back on any wrong read-back.
require 'fileutils'
require 'sidekiq'
require 'sidekiq/api'
require 'sidekiq/scheduled'
require_relative 'sidekiq_workers'

PORT = Integer(ARGV.fetch(0))
ENV['REDIS_URL'] = "redis://127.0.0.1:#{PORT}/0"
Sidekiq.logger.level = Logger::WARN
Redis.silence_deprecations = true # Sidekiq 6.4 calls sadd for its boolean (redis-rb 4.8 warns)

def expect_eq(what, got, want)
  return if got == want
  warn "FAIL #{what}: want #{want.inspect}, got #{got.inspect}"
  exit 1
end

def wait_for(what, seconds)
  deadline = Time.now + seconds
  until (v = yield)
    if Time.now > deadline
      warn "FAIL #{what}: not within #{seconds} s"
      exit 1
    end
    sleep 0.05
  end
  v
end

Sidekiq.redis(&:flushdb)

# The client side, before any server process runs.
jid1 = AddWorker.perform_async(1, 2, 'now-1')
jid2 = AddWorker.perform_async(20, 22, 'now-2')
jid3 = AddWorker.perform_in(1, 100, 1, 'later')
jidf = FailingWorker.perform_async('divide')
expect_eq('jids', [jid1, jid2, jid3, jidf].all? { |j| j =~ /\A\h{24}\z/ }, true)
expect_eq('queues', Sidekiq::Queue.all.map(&:name).sort, %w[critical default])
q = Sidekiq::Queue.new('default')
expect_eq('default queue size', q.size, 2)
expect_eq('queue job args', q.map(&:args).sort, [[1, 2, 'now-1'], [20, 22, 'now-2']])
expect_eq('queue job class', q.find_job(jid1)&.klass, 'AddWorker')
expect_eq('queue latency', q.latency.between?(0, 5), true)
ss = Sidekiq::ScheduledSet.new
expect_eq('scheduled size', ss.size, 1)
sj = ss.find_job(jid3)
expect_eq('scheduled job', [sj&.klass, sj&.args], ['AddWorker', [100, 1, 'later']])
expect_eq('scheduled at', (sj.at - Time.now).between?(0, 1.5), true)
st = Sidekiq::Stats.new
expect_eq('stats before', [st.enqueued, st.scheduled_size, st.processed, st.failed], [3, 1, 0, 0])

# The server side: a real sidekiq process, stopped by its pid.
# The process's own log, kept for a failed run: .tmp/sidekiq-<port>.log at the repository's top.
log_dir = File.expand_path('../../../.tmp', __dir__)
FileUtils.mkdir_p(log_dir)
out = File.open(File.join(log_dir, "sidekiq-#{PORT}.log"), 'w')
pid = Process.spawn({ 'REDIS_URL' => ENV['REDIS_URL'] }, 'sidekiq', '-c', '2', '-t', '1', '-q', 'critical', '-q', 'default',
                    '-r', File.join(__dir__, 'sidekiq_workers.rb'), out: out, err: out)
begin
  wait_for('immediate jobs ran', 8) { Sidekiq.redis { |c| c.hlen('results') } >= 2 }
  wait_for('failing job in the retry set', 8) { Sidekiq::RetrySet.new.size == 1 }
  wait_for('scheduled job ran', 8) { Sidekiq.redis { |c| c.hget('results', 'later') } }
  expect_eq('results', Sidekiq.redis { |c| c.hgetall('results') }, { 'now-1' => '3', 'now-2' => '42', 'later' => '101' })
  expect_eq('scheduled ran last', Sidekiq.redis { |c| c.lrange('order', -1, -1) }, ['later'])
  expect_eq('failing attempts', Sidekiq.redis { |c| c.get('failing:attempts') }, '1')

  # The poller pops due jobs with its Lua script by EVALSHA; after SCRIPT FLUSH it gets
  # NOSCRIPT, loads the script again and goes on.
  Sidekiq.redis { |c| c.script(:flush) }
  AddWorker.perform_in(0.2, 5, 5, 'after-flush')
  wait_for('scheduled job ran after SCRIPT FLUSH', 8) { Sidekiq.redis { |c| c.hget('results', 'after-flush') } }
  expect_eq('poller reloaded its script', Sidekiq.redis { |c| c.script(:exists, Digest::SHA1.hexdigest(Sidekiq::Scheduled::Enq::LUA_ZPOPBYSCORE)) }, true)

  rj = Sidekiq::RetrySet.new.find_job(jidf)
  expect_eq('retry job', [rj&.klass, rj&.args, rj&.queue], ['FailingWorker', ['divide'], 'critical'])
  expect_eq('retry error', [rj['error_class'], rj['error_message'], rj['retry_count']], ['ArgumentError', 'cannot divide', 0])
  expect_eq('retry at in the future', rj.at > Time.now, true)
  expect_eq('scheduled set empty', Sidekiq::ScheduledSet.new.size, 0)
  expect_eq('default queue drained', Sidekiq::Queue.new('default').size, 0)

  # A process adds its processed/failed counts to the totals at its next heartbeat (every 5 s).
  st = wait_for('heartbeat flushed the counts', 8) { (s = Sidekiq::Stats.new).processed >= 5 && s }
  expect_eq('stats after', [st.processed, st.failed, st.retry_size, st.scheduled_size, st.enqueued], [5, 1, 1, 0, 0])
  today = Sidekiq::Stats::History.new(1)
  expect_eq('history processed', today.processed.values, [5])
  expect_eq('history failed', today.failed.values, [1])

  procs = wait_for('heartbeat', 8) { (ps = Sidekiq::ProcessSet.new.to_a).size == 1 && ps }
  pr = procs.first
  expect_eq('process', [pr['pid'], pr['concurrency'], pr['queues'].sort, pr['busy']], [pid, 2, %w[critical default], 0])
  expect_eq('process beat', (Time.now.to_f - pr['beat']).between?(-1, 10), true)
  expect_eq('workers idle', Sidekiq::Workers.new.size, 0)
  # What Sidekiq reads from INFO: the version and eviction policy it checks at start, and the
  # fields its Web UI's dashboard shows.
  info = Sidekiq.redis_info
  expect_eq('redis_version >= 4', info['redis_version'] >= '4', true)
  expect_eq('maxmemory_policy', info['maxmemory_policy'], 'noeviction')
  dash = %w[redis_version uptime_in_days connected_clients used_memory_human used_memory_peak_human]
  expect_eq('dashboard fields', dash.reject { |k| info[k].to_s =~ /\A\d+(\.\d+)*[BKMGTP]?\z/ }, [])

  # The API's writes: retry the failed job now, then delete it from the retry set.
  rj.retry
  wait_for('retried job ran again', 8) { Sidekiq.redis { |c| c.get('failing:attempts') } == '2' }
  r2 = wait_for('back in the retry set', 8) { Sidekiq::RetrySet.new.find_job(jidf) }
  # A manual retry does not count against the job's retries (the API takes one off first).
  expect_eq('second failure', [r2['retry_count'], r2['retried_at'].is_a?(Float), r2['error_message']], [0, true, 'cannot divide'])
  r2.delete
  expect_eq('retry set cleared', Sidekiq::RetrySet.new.size, 0)
  Sidekiq::Stats.new.reset
  expect_eq('stats reset', [Sidekiq::Stats.new.processed, Sidekiq::Stats.new.failed], [0, 0])
ensure
  Process.kill('TERM', pid)
  status = nil
  20.times { break if (status = Process.wait2(pid, Process::WNOHANG)); sleep 0.1 }
  unless status
    Process.kill('KILL', pid)
    Process.wait(pid)
    warn 'FAIL sidekiq did not stop on TERM within 2 s'
    exit 1
  end
end
expect_eq('process gone from the process set', Sidekiq::ProcessSet.new.size, 0)
log = File.read(File.join(log_dir, "sidekiq-#{PORT}.log"))
expect_eq('booted and no start-up warning', [log.include?('Booting Sidekiq 6.4'), log.include?('WARNING')], [true, false])
puts 'ok sidekiq'
