drop index orders_account_idx;
