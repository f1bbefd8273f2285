-- deployclaw:roll-forward-only comments only
set lock_timeout = 0;
comment on table things is 'one';
