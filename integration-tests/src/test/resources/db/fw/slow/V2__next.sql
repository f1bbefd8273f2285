-- deployclaw:roll-forward-only test
create table t2 (id int);
