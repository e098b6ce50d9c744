-- One partner's deal size and sales cycle against its segment, over the trailing four quarters
-- ending at $as_of: one row. Params: $partner_id, $as_of, $scope (the partner managers the
-- viewer may see; null for all: the segment peers are the visible ones too).
--   avg_deal_size: won revenue / won deals; segment_median_deal_size: the median of that over the
--   segment's partners with won deals.
--   cycle_days_median: median days from created_on to closed_on over won deals with both dates;
--   segment_cycle_days_median: the same over all the segment's won deals.
with window_deals as (
    select d.partner_id, d.amount, d.cycle_days, p.segment
    from deals as d
    join filtered_partners(null, null, null, null, null, $scope) as p using (partner_id)
    where d.status = 'won'
        and d.quarter_idx between as_of_idx($as_of) - 3 and as_of_idx($as_of)
        and p.segment = (select segment from filtered_partners(null, null, null, null, null, $scope) where partner_id = $partner_id)
),

per_partner as (
    select partner_id, avg(amount) as avg_deal_size, median(cycle_days) as cycle_days_median
    from window_deals
    group by partner_id
)

select
    (select avg_deal_size from per_partner where partner_id = $partner_id) as avg_deal_size,
    (select median(avg_deal_size) from per_partner) as segment_median_deal_size,
    (select cycle_days_median from per_partner where partner_id = $partner_id)
        as cycle_days_median,
    (select median(cycle_days) from window_deals) as segment_cycle_days_median,
    (select count(*) from per_partner) as segment_partners
