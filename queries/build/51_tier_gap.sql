-- tier_gap(program_tier, earned_tier): how many tiers the tier a partner holds sits above the tier
-- it earns. Positive: it holds more than it earns (over-tiered, benefits over-paid). Negative: it
-- earns more than it holds (a promotion candidate). 0: they match. A partner that holds no tier
-- (program_tier null) is treated as holding Registered, the entry level.
create macro tier_gap(program_tier, earned_tier) as
tier_rank(earned_tier) - tier_rank(coalesce(program_tier, 'Registered'))
