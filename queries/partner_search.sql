-- Partner search box: up to 20 partners whose id or name contains $search (case-insensitive,
-- literal text: no wildcards), exact id matches first, then by name.
-- Params: $search (text; null or empty finds nothing), $scope (partners the viewer may see).
select
    partner_id,
    partner_name,
    segment,
    region
from filtered_partners(null, null, null, null, null, $scope)
where length(trim(coalesce($search, ''))) > 0
    and (
        contains(lower(partner_id), lower(trim($search)))
        or contains(lower(partner_name), lower(trim($search)))
    )
order by lower(partner_id) = lower(trim($search)) desc, partner_name, partner_id
limit 20
