class Greeting < ApplicationRecord
end
