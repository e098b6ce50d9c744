-- Alignment headline numbers: one row for the filtered partners as of $as_of.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope. Scores come from partner_quarter.alignment_score
-- (queries/build/34_partner_alignment_by_year.sql); the prior-year comparison reads the same formula
-- from partner_alignment_by_year (queries/build/34_partner_alignment_by_year.sql).
--   fiscal_year, has_priorities       the as-of fiscal year, and whether it has weights > 0
--   prior_fiscal_year, prior_has_priorities: the year before
--   partners                          partners that pass the filters
--   scored_partners                   of those, partners with an alignment score
--   declared_partners                 scored on their declared focus
--   fallback_partners                 scored on their won-revenue mix (no declared focus)
--   unknown_partners                  no score although the year has priorities: no declared
--                                     focus and no won deal with a vertical in the last 4 quarters
--   median_score                      median alignment_score of the scored partners
--   revenue_weighted_score            sum(score x revenue_t4q) / sum(revenue_t4q), scored partners
--   revenue_weighted_score_prior      the same partners' focus (or mix) scored against the prior
--                                     fiscal year's weights
--   change_vs_prior_pts               (revenue_weighted_score - revenue_weighted_score_prior) x 100
--   revenue_t4q, revenue_t4q_no_vertical: won revenue, and the part on deals without a vertical
with anchor as (
    select as_of_idx($as_of) as idx, as_of_idx($as_of) // 4 as fiscal_year
),

years as (
    select
        anchor.fiscal_year,
        exists (
            select 1 from vendor_priorities as vp
            where vp.fiscal_year = anchor.fiscal_year and vp.priority_weight > 0
        ) as has_priorities,
        anchor.fiscal_year - 1 as prior_fiscal_year,
        exists (
            select 1 from vendor_priorities as vp
            where vp.fiscal_year = anchor.fiscal_year - 1 and vp.priority_weight > 0
        ) as prior_has_priorities
    from anchor
),

partners as (
    select
        pq.partner_id,
        pq.alignment_score,
        pq.revenue_t4q,
        pa.is_declared,
        prior.alignment_score as prior_score
    from filtered_partner_quarters(
        as_of_idx($as_of), as_of_idx($as_of),
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as pq
    cross join anchor
    left join partner_alignment as pa
        on pa.partner_key = pq.partner_key and pa.quarter_idx = anchor.idx
    left join partner_alignment_by_year as prior
        on prior.partner_key = pq.partner_key
        and prior.quarter_idx = anchor.idx
        and prior.fiscal_year_of_weights = anchor.fiscal_year - 1
),

totals as (
    select
        count(*) as partners,
        count(alignment_score) as scored_partners,
        count(*) filter (where is_declared) as declared_partners,
        count(*) filter (where not is_declared) as fallback_partners,
        count(*) filter (where alignment_score is null) as unscored_partners,
        median(alignment_score) as median_score,
        sum(alignment_score * revenue_t4q)
        / nullif(sum(revenue_t4q) filter (where alignment_score is not null), 0)
            as revenue_weighted_score,
        -- the same partners: with a prior year of priorities, every scored partner has a prior
        -- score too (the focus or mix is the same; only the weights change)
        sum(prior_score * revenue_t4q)
        / nullif(sum(revenue_t4q) filter (where prior_score is not null), 0)
            as revenue_weighted_score_prior,
        coalesce(sum(revenue_t4q), 0) as revenue_t4q
    from partners
),

no_vertical as (
    select coalesce(sum(v.revenue), 0) as revenue_t4q_no_vertical
    from filtered_vertical_revenue(
        as_of_idx($as_of) - 3, as_of_idx($as_of),
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as v
    where v.vertical is null
)

select
    y.fiscal_year,
    y.has_priorities,
    y.prior_fiscal_year,
    y.prior_has_priorities,
    t.partners,
    t.scored_partners,
    t.declared_partners,
    t.fallback_partners,
    case when y.has_priorities then t.unscored_partners else 0 end as unknown_partners,
    t.median_score,
    t.revenue_weighted_score,
    t.revenue_weighted_score_prior,
    (t.revenue_weighted_score - t.revenue_weighted_score_prior) * 100 as change_vs_prior_pts,
    t.revenue_t4q,
    n.revenue_t4q_no_vertical
from years as y, totals as t, no_vertical as n
