-- Data freshness for the page header: one row.
select
    loaded_at,
    latest_closed_on,
    default_as_of,
    source,
    files_present
from meta
