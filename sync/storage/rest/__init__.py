"""The Supabase REST store (supabase-py / PostgREST), mirroring the SQL store."""
