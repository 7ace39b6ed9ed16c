require "socket"

# The demo page: one row read from PostgreSQL, and who served it.
class GreetingsController < ApplicationController
  def index
    greeting = Greeting.order(:id).first
    db = ActiveRecord::Base.connection_db_config.configuration_hash
    message = greeting ? greeting.message : "(no row in table greetings)"
    render html: <<~HTML.html_safe
      <!DOCTYPE html>
      <html><head><title>podim.fleet Rails demo</title></head>
      <body>
      <h1>podim.fleet Rails demo</h1>
      <p id="greeting">#{ERB::Util.h(message)}</p>
      <p>Row #{greeting&.id.to_i} of table greetings in PostgreSQL database
      <code>#{ERB::Util.h(db[:database])}</code> on <code>#{ERB::Util.h(db[:host])}</code>,
      served by <code>#{ERB::Util.h(Socket.gethostname)}</code>
      (Rails #{Rails.version}, Ruby #{RUBY_VERSION}).</p>
      </body></html>
    HTML
  end

  def health
    ActiveRecord::Base.connection.execute("SELECT 1")
    render plain: "ok\n"
  end
end
