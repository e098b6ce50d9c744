-- Priority against coverage: one row per vertical that the as-of fiscal year prioritises, or that
-- the filtered partners declare or won revenue in over the trailing four quarters; ordered by the
-- vendor's priority weight (largest first), then by won revenue.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   priority_weight    the vendor's weight for the as-of fiscal year (0 when unlisted)
--   weight_rel         weight / the year's largest weight (the factor the alignment score uses)
--   priority_share     weight / the sum of the year's weights (so it adds up to 1 like the shares)
--   is_priority        weight > 0
--   focus_share        the channel's declared focus: sum of the partners' normalised focus on the
--                      vertical / partners that declare a focus (each partner counts once)
--   revenue_t4q        won revenue in the vertical, trailing four quarters
--   revenue_share      revenue_t4q / won revenue with a vertical (deals without one left out)
--   focus_gap_pts, revenue_gap_pts: share minus priority_share, in percentage points
--   (priority_share, the gaps and the verdict are null when the as-of fiscal year has no
--   priorities, or only zero weights)
--   verdict            under_covered: a priority vertical whose focus or revenue share falls
--                      gap_threshold_pts or more below its priority share; over_served: a vertical
--                      without priority that holds gap_threshold_pts or more of the focus or the
--                      revenue; otherwise in_line
--   gap_threshold_pts  the alignment_gap_pts setting (channel.toml), as the database was built
with anchor as (
    select as_of_idx($as_of) as idx, as_of_idx($as_of) // 4 as fiscal_year
),

weights as (
    select
        vp.vertical,
        vp.priority_weight,
        vp.weight_rel,
        vp.priority_weight / nullif(sum(vp.priority_weight) over (), 0) as priority_share
    from vendor_priorities as vp, anchor
    where vp.fiscal_year = anchor.fiscal_year
),

focus as (
    select
        pv.vertical,
        sum(pv.focus_norm) as focus_partners,
        sum(sum(pv.focus_norm)) over () as declaring_partners
    from filtered_partner_focus(
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as pv
    where pv.focus_norm is not null
    group by pv.vertical
),

revenue as (
    select
        v.vertical,
        sum(v.revenue) as revenue_t4q,
        sum(sum(v.revenue)) over () as revenue_with_vertical
    from filtered_vertical_revenue(
        as_of_idx($as_of) - 3, as_of_idx($as_of),
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as v
    where v.vertical is not null
    group by v.vertical
),

verticals as (
    select vertical from weights
    union
    select vertical from focus
    union
    select vertical from revenue
),

shares as (
    select
        x.vertical,
        coalesce(w.priority_weight, 0) as priority_weight,
        coalesce(w.weight_rel, 0) as weight_rel,
        -- null when the year has no usable priorities: there is nothing to compare with
        case when max(w.priority_share) over () is not null then coalesce(w.priority_share, 0) end
            as priority_share,
        coalesce(w.priority_weight, 0) > 0 as is_priority,
        coalesce(f.focus_partners / nullif(max(f.declaring_partners) over (), 0), 0) as focus_share,
        coalesce(r.revenue_t4q, 0) as revenue_t4q,
        coalesce(r.revenue_t4q / nullif(max(r.revenue_with_vertical) over (), 0), 0)
            as revenue_share
    from verticals as x
    left join weights as w using (vertical)
    left join focus as f using (vertical)
    left join revenue as r using (vertical)
),

final as (
    select
        *,
        (focus_share - priority_share) * 100 as focus_gap_pts,
        (revenue_share - priority_share) * 100 as revenue_gap_pts,
        (select alignment_gap_pts from settings) as gap_threshold_pts
    from shares
)

select
    vertical,
    priority_weight,
    weight_rel,
    priority_share,
    is_priority,
    focus_share,
    revenue_t4q,
    revenue_share,
    focus_gap_pts,
    revenue_gap_pts,
    case
        when priority_share is null then null
        when is_priority and least(focus_gap_pts, revenue_gap_pts) <= -gap_threshold_pts
            then 'under_covered'
        when not is_priority and greatest(focus_gap_pts, revenue_gap_pts) >= gap_threshold_pts
            then 'over_served'
        else 'in_line'
    end as verdict,
    gap_threshold_pts
from final
-- an unknown as-of quarter gives no rows, like every page query
where (select idx from anchor) is not null
order by priority_weight desc, revenue_t4q desc, lower(vertical)
