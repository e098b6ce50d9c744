-- Alignment score histogram: one row per (group, bin) that holds a partner, for the filtered
-- partners with an alignment score as of $as_of (partner_quarter.alignment_score, defined in
-- queries/build/34_partner_alignment_by_year.sql). Bins are 0.05 wide: bin k holds k/20 <= score <
-- (k+1)/20, and a score of exactly 1 sits in the last bin (k = 19).
-- Params: $as_of, $group_by ('earned_tier' or 'segment'; anything else, null included, means
-- 'earned_tier'), and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   group_partners, group_median: partners with a score in the group, and their median score
with scored as (
    select
        case when $group_by = 'segment' then p.segment else p.earned_tier end as group_value,
        p.alignment_score
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as p
    where p.alignment_score is not null
),

bins as (
    select
        group_value,
        -- rounding first keeps 0.8 (= 0.6 * 1 + 0.4 * 0.5 in floating point) in the 0.80 bin
        least(floor(round(alignment_score, 9) * 20), 19)::integer as bin,
        count(*) as partners
    from scored
    group by all
),

groups as (
    select group_value, count(*) as group_partners, median(alignment_score) as group_median
    from scored
    group by all
)

select
    b.group_value,
    b.bin,
    b.bin / 20 as bin_start,
    (b.bin + 1) / 20 as bin_end,
    b.partners,
    g.group_partners,
    g.group_median
from bins as b
join groups as g using (group_value)
order by
    coalesce(
        tier_rank(b.group_value),
        list_position(['SMB', 'Midmarket', 'Enterprise', 'Mixed'], b.group_value)
    ),
    b.bin
