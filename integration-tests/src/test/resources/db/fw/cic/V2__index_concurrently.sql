-- deployclaw:roll-forward-only index only
create index concurrently accounts_name_idx on accounts (name);
