-- Missed-target status lists: one row per filtered partner whose status as of $as_of is not ok
-- (watch, at_risk or replace_review), the largest revenue_t4q first. Statuses are exclusive
-- (the most severe wins), so a partner is in exactly one list; the page splits by status.
-- Params: $as_of, the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope, and $limit: at most this many rows per status (null: all).
--   status_partners       how many filtered partners have this status (before $limit)
--   earned_tier, status, missed_streak, missed_last_8, targeted_last_8, revenue_t4q:
--                         partner_quarter as of $as_of (queries/build/40_partner_quarter.sql),
--                         through partner_scorecard (queries/build/93_partner_scorecard.sql)
--   last_attainment       attainment (a fraction) of the latest quarter with a target > 0 among
--                         the 8 ending at $as_of; last_target_quarter is that quarter
--   attainment_trend      attainment of each quarter with a target among the 8 fiscal quarters
--                         ending at $as_of, oldest first; quarters without a target are left out,
--                         as the streak skips them (a list of targeted_last_8 values)
with as_of as materialized (
    -- the as-of quarter index, computed once for the history's eight-quarter range (comparing
    -- with the macro itself hides the range from the scan)
    select as_of_idx($as_of) as quarter_idx
),

flagged as (
    select
        partner_id,
        partner_name,
        segment,
        partner_manager,
        program_tier,
        earned_tier,
        status,
        missed_streak,
        missed_last_8,
        targeted_last_8,
        revenue_t4q,
        partner_key
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    )
    where status <> 'ok'
),

-- per status: how many partners, and the $limit largest by revenue (ties by partner_id, whose
-- order partner_key follows). max_by keeps the top rows without sorting a million partners; a
-- window over the flagged rows took most of this query's time at a million partners
by_status as (
    select
        status,
        count(*) as status_partners,
        max_by(partner_key, (revenue_t4q, -partner_key), greatest(coalesce($limit, 1), 1))
            as top_keys
    from flagged
    group by status
),

shown as (
    -- only the rows a list shows: the history below is the costly part
    select f.*, b.status_partners
    from flagged as f
    join by_status as b using (status)
    where $limit is null or ($limit > 0 and list_contains(b.top_keys, f.partner_key))
),

history as (
    select
        h.partner_key,
        list(h.attainment order by h.quarter_idx)
            filter (where h.attainment is not null) as attainment_trend,
        arg_max(h.attainment, h.quarter_idx)
            filter (where h.attainment is not null) as last_attainment,
        arg_max(h.fiscal_quarter, h.quarter_idx)
            filter (where h.attainment is not null) as last_target_quarter
    from partner_quarter as h
    semi join shown as f on f.partner_key = h.partner_key
    where h.quarter_idx in (
        select unnest(range(quarter_idx - 7, quarter_idx + 1)) from as_of
    )
    group by h.partner_key
)

select
    f.partner_id,
    f.partner_name,
    f.segment,
    f.partner_manager,
    f.program_tier,
    f.earned_tier,
    f.status,
    f.missed_streak,
    f.missed_last_8,
    f.targeted_last_8,
    h.last_attainment,
    h.last_target_quarter,
    h.attainment_trend,
    f.revenue_t4q,
    f.status_partners
from shown as f
join history as h on h.partner_key = f.partner_key
order by f.revenue_t4q desc, f.partner_id
