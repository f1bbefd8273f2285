--liquibase formatted sql

-- Each tenant schema already holds a customers table (the application's own); changeset 4 alters it.

--changeset deployclaw:1
create table accounts (id bigint primary key, name varchar(100));
--rollback drop table accounts;

--changeset deployclaw:2
alter table accounts add column email varchar(255);
--rollback alter table accounts drop column email;

--changeset deployclaw:3
create table orders (id bigint primary key, account_id bigint, total numeric(12,2));
--rollback drop table orders;

--changeset deployclaw:4
alter table customers add column tier varchar(20);
--rollback alter table customers drop column tier;

--changeset deployclaw:5
create index orders_account_idx on orders (account_id);
--rollback drop index orders_account_idx;

--changeset deployclaw:6
insert into accounts (id, name) values (1, 'first');
--rollback delete from accounts where id = 1;
