class CreateGreetings < ActiveRecord::Migration[6.1]
  def up
    create_table :greetings do |t|
      t.string :message, null: false
      t.timestamps
    end
    execute <<~SQL
      INSERT INTO greetings (message, created_at, updated_at)
      VALUES ('Hello from PostgreSQL', now(), now())
    SQL
  end

  def down
    drop_table :greetings
  end
end
