alter table accounts add column email text;
