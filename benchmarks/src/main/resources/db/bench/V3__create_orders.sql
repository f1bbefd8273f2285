-- deployclaw:roll-forward-only a new, empty table: a bad version is fixed by the next migration
create table orders (id bigint primary key, account_id bigint not null references accounts (id), total numeric(12, 2));
