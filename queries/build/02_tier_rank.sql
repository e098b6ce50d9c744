-- tier_rank(tier): 1 for Platinum, the highest tier, up to 4 for Registered; null for anything
-- else (no tier, '(none)'), which sorts last. `order by tier_rank(t)` lists the highest first.
create macro tier_rank(tier) as list_position(tier_order(), tier)
