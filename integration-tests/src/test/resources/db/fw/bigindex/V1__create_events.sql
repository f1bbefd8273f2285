-- deployclaw:roll-forward-only a new table: a bad version is fixed by the next migration
create table events (id bigint primary key, kind text not null);
