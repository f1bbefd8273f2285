create index orders_account_idx on orders (account_id);
