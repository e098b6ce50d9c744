-- Segment x vertical: one row per (segment, vertical) where the filtered partners of that
-- segment won revenue in the trailing four quarters or declare a focus, as of $as_of.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   revenue_t4q        won revenue in the vertical (deals without a vertical left out)
--   revenue_share      revenue_t4q / the segment's won revenue with a vertical
--   focus_partners     sum of the segment's partners' normalised focus on the vertical
--                      ("partner equivalents": a partner split 50/50 adds 0.5 to each)
--   focus_share        focus_partners / the segment's partners that declare a focus
--   is_priority        the vertical has a weight > 0 in the as-of fiscal year
with anchor as (
    select as_of_idx($as_of) as idx, as_of_idx($as_of) // 4 as fiscal_year
),

revenue as (
    select v.segment, v.vertical, sum(v.revenue) as revenue_t4q
    from filtered_vertical_revenue(
        as_of_idx($as_of) - 3, as_of_idx($as_of),
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as v
    where v.vertical is not null
    group by all
),

focus as (
    select pv.segment, pv.vertical, sum(pv.focus_norm) as focus_partners
    from filtered_partner_focus(
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as pv
    where pv.focus_norm is not null
    group by all
),

cells as (
    select
        segment,
        vertical,
        coalesce(r.revenue_t4q, 0) as revenue_t4q,
        coalesce(f.focus_partners, 0) as focus_partners
    from revenue as r
    full join focus as f using (segment, vertical)
)

select
    c.segment,
    c.vertical,
    c.revenue_t4q,
    c.revenue_t4q / nullif(sum(c.revenue_t4q) over (partition by c.segment), 0) as revenue_share,
    c.focus_partners,
    c.focus_partners / nullif(sum(c.focus_partners) over (partition by c.segment), 0)
        as focus_share,
    coalesce(vp.priority_weight > 0, false) as is_priority
from cells as c
cross join anchor
left join vendor_priorities as vp
    on vp.fiscal_year = anchor.fiscal_year and vp.vertical = c.vertical
where anchor.idx is not null
order by list_position(['SMB', 'Midmarket', 'Enterprise', 'Mixed'], c.segment), lower(c.vertical)
