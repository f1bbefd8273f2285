create table items (id bigint primary key, name text not null);
