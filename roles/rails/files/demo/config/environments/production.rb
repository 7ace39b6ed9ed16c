Rails.application.configure do
  config.cache_classes = true
  config.eager_load = true
  config.consider_all_requests_local = false
  # nginx serves public/ itself.
  config.public_file_server.enabled = false
  config.log_level = :info
  # systemd keeps the log (journalctl -u <app>).
  config.logger = ActiveSupport::TaggedLogging.new(ActiveSupport::Logger.new($stdout))
  config.active_record.dump_schema_after_migration = false
end
