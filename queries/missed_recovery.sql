-- Recovery after a run of misses: one row per streak level, segment (plus 'All segments') and
-- horizon (1, 2 or 4 quarters), over the whole history up to $as_of, for the filtered partners.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
-- Definitions (docs/pages.md, "Missed targets"):
--   episode         a partner and fiscal quarter q <= $as_of in which its missed streak reaches
--                   reached_streak (q is missed and its missed_streak equals the level). The
--                   levels are the watch_streak and at_risk_streak settings (2 and 3 by default).
--                   A run of misses gives at most one episode per level; a partner can have several
--                   runs. Built in missed_episodes (queries/build/70_missed_episodes.sql).
--   recovered       the partner hit target in at least one of the fiscal quarters
--                   q+1 .. q+horizon_quarters. A quarter without a target in that window is no hit
--                   (and no miss): it neither recovers nor ends the episode.
--   episodes        episodes whose whole window is observed (q + horizon_quarters <= $as_of);
--                   censored counts the later ones, which are left out of that horizon (right
--                   censoring), so each horizon has its own sample
--   recovery_rate   recovered / episodes (a fraction; null when no episode is observed)
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
),

episodes as (
    select e.partner_id, e.segment, e.quarter_idx, e.reached_streak, e.next_hit_idx
    from missed_episodes as e
    where e.quarter_idx <= (select quarter_idx from as_of)
        and passes_filters(
            e.segment, e.region, e.partner_type, e.program_tier, e.partner_manager,
            $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
        )
        and e.reached_streak in (select unnest([watch_streak, at_risk_streak]) from settings)
),

judged as (
    select
        e.*,
        hz.horizon_quarters,
        e.quarter_idx + hz.horizon_quarters <= (select quarter_idx from as_of) as is_observed,
        coalesce(e.next_hit_idx <= e.quarter_idx + hz.horizon_quarters, false) as is_recovered
    from episodes as e
    cross join (values (1), (2), (4)) as hz (horizon_quarters)
)

select
    reached_streak,
    case when grouping(segment) = 1 then 'All segments' else segment end as segment,
    grouping(segment) = 1 as is_total,
    horizon_quarters,
    count(*) filter (where is_observed) as episodes,
    count(*) filter (where is_observed and is_recovered) as recovered,
    count(*) filter (where is_observed and is_recovered)
    / nullif(count(*) filter (where is_observed), 0) as recovery_rate,
    count(*) filter (where not is_observed) as censored
from judged
group by grouping sets ((reached_streak, horizon_quarters, segment),
    (reached_streak, horizon_quarters))
order by
    reached_streak,
    is_total desc,
    list_position(['SMB', 'Midmarket', 'Enterprise', 'Mixed'], segment),
    horizon_quarters
