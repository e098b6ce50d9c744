-- The people inside one partner: one row per role (all five roles, even with no contact),
-- with how many contacts and how many are certified. Params: $partner_id, $scope (the partner managers the viewer may see; null for all).
with roles as (
    select unnest(['Sales', 'Technical', 'Marketing', 'Executive', 'Other']) as role,
        generate_subscripts(['Sales', 'Technical', 'Marketing', 'Executive', 'Other'], 1) as rank
)

select
    r.role,
    count(c.contact_name) as contacts,
    count(c.contact_name) filter (where c.is_certified) as certified,
    list(c.contact_name order by c.contact_name) filter (where c.contact_name is not null)
        as names
from roles as r
left join contacts as c
    on c.role = r.role and c.partner_id = $partner_id
    and $partner_id in (select partner_id from filtered_partners(null, null, null, null, null, $scope))
group by r.role, r.rank
order by r.rank
