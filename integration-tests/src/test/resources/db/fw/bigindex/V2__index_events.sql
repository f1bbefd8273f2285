create index events_kind_idx on events (kind);
