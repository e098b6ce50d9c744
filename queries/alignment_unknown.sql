-- Partners of unknown alignment: one row per filtered partner without an alignment score as of
-- $as_of although the as-of fiscal year has priorities (no declared focus, and no won deal with
-- a vertical in the trailing four quarters). They are listed, never scored 0.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   reason   why there is no score, in words
with anchor as (
    select as_of_idx($as_of) as idx, as_of_idx($as_of) // 4 as fiscal_year
)

select
    p.partner_id,
    p.partner_name,
    p.segment,
    p.program_tier,
    p.partner_manager,
    pq.revenue_t4q,
    pq.won_deals_t4q,
    case
        when pq.won_deals_t4q = 0
            then 'No declared focus and no won deal in the last four quarters'
        else 'No declared focus, and its won deals in the last four quarters have no vertical'
    end as reason
from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
cross join anchor
join partner_quarter as pq on pq.partner_id = p.partner_id and pq.quarter_idx = anchor.idx
where pq.alignment_score is null
    and exists (
        select 1 from vendor_priorities as vp
        where vp.fiscal_year = anchor.fiscal_year and vp.priority_weight > 0
    )
order by pq.revenue_t4q desc, p.partner_id
