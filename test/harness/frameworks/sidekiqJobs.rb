# Jobs the Sidekiq test workers run (sidekiq -r this file).
require 'sidekiq'

class LongJob
  include Sidekiq::Worker

  def perform(seconds)
    sleep seconds
  end
end

class FailJob
  include Sidekiq::Worker

  def perform(message)
    raise ArgumentError, message
  end
end
