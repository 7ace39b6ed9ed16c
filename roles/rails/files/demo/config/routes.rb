Rails.application.routes.draw do
  root "greetings#index"
  get "health", to: "greetings#health"
end
