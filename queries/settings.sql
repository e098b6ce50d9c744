-- The settings this database was built with (snapshotted by the loader): one row.
select * from settings
