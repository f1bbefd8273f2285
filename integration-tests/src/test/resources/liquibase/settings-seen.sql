--liquibase formatted sql

--changeset deployclaw:1
create table settings_seen as select current_setting('lock_timeout') as lock_timeout, current_setting('statement_timeout') as statement_timeout;
--rollback drop table settings_seen;
