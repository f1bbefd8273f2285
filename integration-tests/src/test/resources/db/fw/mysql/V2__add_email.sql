alter table accounts add column email varchar(255);
