require_relative "boot"

require "rails"
require "active_record/railtie"
require "action_controller/railtie"

module Demo
  class Application < Rails::Application
    config.load_defaults 6.1
    config.time_zone = "UTC"
  end
end
