-- Data freshness for the page header: one row.
--   data_as_of          the date the data describes (quarters are complete, in progress or
--                       planned relative to it); data_as_of_source says where it came from
--   targets_derived     how the targets were derived (an import's plan rule), in words; null
--                       when they came from a targets file
--   target_rows         target rows loaded (0: no targets, so no attainment)
select
    loaded_at,
    data_as_of,
    data_as_of_source,
    latest_closed_on,
    default_as_of,
    source,
    files_present,
    targets_derived,
    target_rows
from meta
