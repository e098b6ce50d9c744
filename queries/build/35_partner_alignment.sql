-- partner_alignment: one row per partner and as-of quarter that has an alignment score, scored
-- against the vendor's priorities of the as-of quarter's own fiscal year. The formula is
-- defined once, in 34_partner_alignment_by_year.sql.
create table partner_alignment as
select a.partner_id, a.quarter_idx, a.alignment_score, a.is_declared, a.partner_key
from partner_alignment_by_year as a
join quarters as q
    on q.quarter_idx = a.quarter_idx and q.fiscal_year = a.fiscal_year_of_weights
order by a.quarter_idx, a.partner_key
