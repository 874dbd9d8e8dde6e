"""Where the copy lives: table definitions, the store protocols, and the SQL and REST stores."""
