DROP INDEX assignments_one_open;
