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

-- A table made earlier with only seed 003's own columns (worker_name, status,
-- last_heartbeat) gets the others here; Worker Lens reads them from its next reconcile.
alter table public.hp_worker_status
  add column if not exists pid            integer,
  add column if not exists uptime         integer,
  add column if not exists memory         bigint,
  add column if not exists jobs_processed integer not null default 0,
  add column if not exists errors         integer not null default 0,
  add column if not exists updated_at     timestamptz not null default now();

-- Row Level Security: Worker Lens reads with the anon or an authenticated key; workers
-- write with the service_role key (which bypasses RLS).
alter table public.hp_worker_status enable row level security;
drop policy if exists "worker lens can read worker status" on public.hp_worker_status;
create policy "worker lens can read worker status" on public.hp_worker_status
  for select to anon, authenticated using (true);
grant select on public.hp_worker_status to anon, authenticated;
grant all on public.hp_worker_status to service_role;

-- Live updates: Realtime sends postgres_changes only for tables in this publication
-- (Supabase creates it; the guard makes this file run on plain PostgreSQL too).
do $$ begin
  if not exists (select from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
  if not exists (select from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'hp_worker_status') then
    alter publication supabase_realtime add table public.hp_worker_status;
  end if;
end $$;

-- Optional: a log table Worker Lens tails in the dashboard (connection setting "logTable").
create table if not exists public.worker_logs (
  id          bigint generated always as identity primary key,
  worker      text,
  level       text not null default 'info',              -- debug | info | warn | error
  message     text not null,
  created_at  timestamptz not null default now()
);
create index if not exists worker_logs_created_at on public.worker_logs (created_at desc);
alter table public.worker_logs enable row level security;
drop policy if exists "worker lens can read worker logs" on public.worker_logs;
create policy "worker lens can read worker logs" on public.worker_logs
  for select to anon, authenticated using (true);
grant select on public.worker_logs to anon, authenticated;
grant all on public.worker_logs to service_role;

-- Optional: restart / scale requests (control.mode "store"). The editor inserts a row;
-- a supervisor (`npm run supervisor -- --supabase URL`, service key) claims it by moving
-- status from pending to accepted, carries it out, and writes done or failed. A request
-- nobody claimed in time is marked expired by the editor, so it is never run late.
create table if not exists public.worker_commands (
  id            uuid primary key,
  action        text not null check (action in ('restart', 'scale')),
  worker        text,
  count         integer check (count >= 0),
  requested_by  text not null,
  requested_at  timestamptz not null default now(),
  timeout_ms    integer,
  status        text not null default 'pending' check (status in ('pending', 'accepted', 'done', 'failed', 'expired')),
  message       text,
  supervisor    text,
  updated_at    timestamptz not null default now()
);
create index if not exists worker_commands_pending on public.worker_commands (requested_at) where status = 'pending';
alter table public.worker_commands enable row level security;
-- Changing workers is not for the anon key: signed-in users (authenticated) may request,
-- and follow their requests; supervisors use the service_role key (bypasses RLS).
drop policy if exists "signed-in users request worker commands" on public.worker_commands;
create policy "signed-in users request worker commands" on public.worker_commands
  for insert to authenticated with check (status = 'pending');
drop policy if exists "signed-in users follow worker commands" on public.worker_commands;
create policy "signed-in users follow worker commands" on public.worker_commands
  for select to authenticated using (true);
drop policy if exists "signed-in users expire their unanswered commands" on public.worker_commands;
create policy "signed-in users expire their unanswered commands" on public.worker_commands
  for update to authenticated using (status = 'pending') with check (status = 'expired');
grant select, insert, update on public.worker_commands to authenticated;
grant all on public.worker_commands to service_role;

-- PostgREST caches the schema: have it see the tables and columns above now.
notify pgrst, 'reload schema';
