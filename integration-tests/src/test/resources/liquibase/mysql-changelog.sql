--liquibase formatted sql

--changeset deployclaw:1
create table accounts (id bigint primary key, name varchar(100) not null);
--rollback drop table accounts;

--changeset deployclaw:2
alter table customers add column tier varchar(20);
--rollback alter table customers drop column tier;

--changeset deployclaw:3
create table orders (id bigint primary key, account_id bigint not null, total decimal(12, 2));
--rollback drop table orders;
