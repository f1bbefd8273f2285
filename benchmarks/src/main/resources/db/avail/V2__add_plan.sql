alter table accounts add column plan text;
