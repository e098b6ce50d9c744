-- One partner's focus: one row per vertical that the partner declares, sells in (trailing four
-- quarters to $as_of) or the vendor prioritises in the as-of fiscal year.
-- Params: $partner_id, $as_of, $scope (the partner managers the viewer may see; null for all).
--   declared_share: declared focus, normalised to sum to 1 (null when not declared)
--   realised_share: share of the partner's won revenue in the window (deals without a vertical
--                   left out, as in the alignment score)
--   priority_weight_rel: the vendor's weight / the year's largest weight (0..1)
with as_of as (
    select quarter_idx, fiscal_year from quarters where quarter_idx = as_of_idx($as_of)
),

declared as (
    select vertical, focus_norm as declared_share
    from partner_verticals
    where partner_id = $partner_id and focus_norm is not null
        and $partner_id in (select partner_id from filtered_partners(null, null, null, null, null, $scope))
),

realised as (
    select v.vertical, sum(v.revenue) / nullif(sum(sum(v.revenue)) over (), 0) as realised_share
    from partner_quarter_vertical as v, as_of as a
    where v.partner_id = $partner_id
        and $partner_id in (select partner_id from filtered_partners(null, null, null, null, null, $scope))
        and v.vertical is not null
        and v.quarter_idx between a.quarter_idx - 3 and a.quarter_idx
    group by v.vertical
),

priorities as (
    select vp.vertical, vp.weight_rel as priority_weight_rel
    from vendor_priorities as vp, as_of as a
    where vp.fiscal_year = a.fiscal_year and vp.weight_rel > 0
),

verticals as (
    select vertical from declared
    union select vertical from realised
    union select vertical from priorities
)

select
    v.vertical,
    d.declared_share,
    r.realised_share,
    coalesce(pr.priority_weight_rel, 0) as priority_weight_rel
from verticals as v
left join declared as d using (vertical)
left join realised as r using (vertical)
left join priorities as pr using (vertical)
order by coalesce(pr.priority_weight_rel, 0) desc, coalesce(d.declared_share, 0) desc, v.vertical
