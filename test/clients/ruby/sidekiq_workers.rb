# Worker classes for the sidekiq process (`sidekiq -r` this file). Each worker writes what it
# did into Redis so the checking script reads the results back from there.
require 'sidekiq'

Redis.silence_deprecations = true # Sidekiq 6.4 calls sadd for its boolean (redis-rb 4.8 warns)

module QuickPollStart
  def initial_wait
    @sleeper.pop(0.05)
  rescue Timeout::Error
    nil
  end
end

Sidekiq.configure_server do |config|
  # Poll the scheduled and retry sets every ~0.2 s (default ~5 s) and skip the 5-15 s start-up
  # pause, so a job scheduled 1 s ahead runs within the test's few seconds.
  config.options[:poll_interval_average] = 0.2
  require 'sidekiq/scheduled'
  Sidekiq::Scheduled::Poller.prepend(QuickPollStart)
end

class AddWorker
  include Sidekiq::Worker

  def perform(a, b, tag)
    Sidekiq.redis do |c|
      c.hset('results', tag, (a + b).to_s)
      c.rpush('order', tag)
    end
  end
end

class FailingWorker
  include Sidekiq::Worker
  sidekiq_options retry: 5, queue: 'critical'

  def perform(what)
    Sidekiq.redis { |c| c.incr('failing:attempts') }
    raise ArgumentError, "cannot #{what}"
  end
end
