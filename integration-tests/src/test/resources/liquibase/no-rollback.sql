--liquibase formatted sql

--changeset deployclaw:1
create table ledger (id bigint primary key, amount numeric(12,2));
--rollback drop table ledger;

--changeset deployclaw:2
alter table ledger add column memo text;
