-- Every vertical the database knows: one row per vertical, sorted by name (case-insensitive).
-- No params on purpose: the Vertical alignment page maps this list onto its colour palette, so a
-- vertical keeps its colour whatever the filters or the as-of quarter.
select vertical
from (
    select vertical from vendor_priorities
    union
    select vertical from partner_verticals
    union
    select vertical from deals where vertical is not null
)
order by lower(vertical), vertical
