-- deployclaw:roll-forward-only test
create table t1 (id int);
select pg_sleep(1.5);
