-- Values offered by the global filters: one row per (filter, value), in display order.
-- filter is one of segment, region, partner_type, program_tier, partner_manager.
-- Params: $scope (the partner managers the viewer may see, null for all): a partner manager is
-- offered only values their own partners have. The values are defined once, in
-- filter_option_values (queries/build/98_filter_option_values.sql); for everyone the load has
-- kept them in filter_values.
with options as (
    select filter, value, rank from filter_values where $scope is null
    union all
    select filter, value, rank from filter_option_values($scope) where $scope is not null
)

select filter, value
from options
order by filter, rank nulls last, value
