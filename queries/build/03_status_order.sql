-- status_order(): the statuses, mildest first: the one copy of the status order in SQL. It must
-- equal channel.settings.STATUSES (tests/test_rules_once.py checks that). Rank a status with
-- status_rank.
create macro status_order() as ['ok', 'watch', 'at_risk', 'replace_review']
