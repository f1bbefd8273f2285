alter table accounts add column phone text;
