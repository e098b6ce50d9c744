-- tier_order(): the tiers, highest first: the one copy of the tier order in SQL. It must equal
-- channel.settings.TIERS (tests/test_rules_once.py checks that). Rank a tier with tier_rank.
create macro tier_order() as ['Platinum', 'Gold', 'Silver', 'Registered']
