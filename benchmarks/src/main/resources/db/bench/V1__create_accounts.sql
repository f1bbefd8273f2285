create table accounts (id bigint primary key, name text not null);
