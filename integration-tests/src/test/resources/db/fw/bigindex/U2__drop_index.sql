drop index events_kind_idx;
