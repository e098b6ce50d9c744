-- How many partners pass the filters: one row. Params: $as_of (unused by the count itself but
-- kept so every page query takes the same filter set) and the filter lists $segment, $region,
-- $partner_type, $program_tier, $partner_manager, $scope.
select count(*) as partners
from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
where as_of_idx($as_of) is not null
