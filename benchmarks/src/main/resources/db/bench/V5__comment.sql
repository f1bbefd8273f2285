-- deployclaw:roll-forward-only comments only
comment on table accounts is 'accounts of tenant ${flyway:defaultSchema}';
