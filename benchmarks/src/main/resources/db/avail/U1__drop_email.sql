alter table accounts drop column email;
