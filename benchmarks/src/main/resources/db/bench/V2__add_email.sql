alter table ${flyway:defaultSchema}.accounts add column email text;
