--liquibase formatted sql

--changeset deployclaw:1
create table ledger (id bigint primary key, amount numeric(12,2));
--rollback drop table ledger;

--changeset deployclaw:2
-- deployclaw:roll-forward-only backfill of a new column; a bad run is fixed by a new changeset
alter table ledger add column memo text;
