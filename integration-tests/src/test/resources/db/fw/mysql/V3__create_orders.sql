create table orders (id bigint primary key, account_id bigint not null, total decimal(12, 2));
