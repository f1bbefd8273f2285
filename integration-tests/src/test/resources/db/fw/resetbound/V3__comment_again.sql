-- deployclaw:roll-forward-only comments only
comment on table things is 'two';
