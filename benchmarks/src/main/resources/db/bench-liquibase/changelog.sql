--liquibase formatted sql

-- The Flyway benchmark's five versions (db/bench), as Liquibase changesets.

--changeset bench:1
create table accounts (id bigint primary key, name text not null);
--rollback drop table accounts;

--changeset bench:2
alter table accounts add column email text;
--rollback alter table accounts drop column email;

--changeset bench:3
-- deployclaw:roll-forward-only a new, empty table: a bad version is fixed by the next migration
create table orders (id bigint primary key, account_id bigint not null references accounts (id), total numeric(12, 2));

--changeset bench:4
create index orders_account_idx on orders (account_id);
--rollback drop index orders_account_idx;

--changeset bench:5
-- deployclaw:roll-forward-only comments only
comment on table accounts is 'accounts of this tenant';
