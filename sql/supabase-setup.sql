-- Worker Lens: the tables seed 003's workers write, and what Worker Lens needs to read them.
-- Run in the Supabase SQL editor (or psql). Safe to run twice.

-- One row per worker, upserted by each worker every 30 s (seed 003's worker-heartbeat.mjs).
create table if not exists public.hp_worker_status (
  worker_name     text primary key,
  status          text not null default 'unknown',   -- running | stopped | crashed | unknown
  last_heartbeat  timestamptz,
  pid             integer,
  uptime          integer,                            -- seconds
  memory          bigint,                             -- bytes (rss)
  jobs_processed  integer not null default 0,
  errors          integer not null default 0,
  updated_at      timestamptz not null default now()
);

-- Row Level Security: Worker Lens reads with the anon or an authenticated key; workers
-- write with the service_role key (which bypasses RLS).
alter table public.hp_worker_status enable row level security;
drop policy if exists "worker lens can read worker status" on public.hp_worker_status;
create policy "worker lens can read worker status" on public.hp_worker_status
  for select to anon, authenticated using (true);
grant select on public.hp_worker_status to anon, authenticated;
grant all on public.hp_worker_status to service_role;
