-- deployclaw:roll-forward-only a new, empty table
create table things (id bigint primary key);
