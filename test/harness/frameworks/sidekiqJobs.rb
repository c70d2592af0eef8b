# Jobs the Sidekiq test workers run (sidekiq -r this file).
require 'sidekiq'

class LongJob
  include Sidekiq::Worker

  def perform(seconds)
    sleep seconds
  end
end
