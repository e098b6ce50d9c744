-- fiscal_quarter_idx(day, start_month): the quarter index of the fiscal quarter that contains day.
-- A fiscal year is named by the calendar year in which it ends, and
-- quarter_idx = fiscal_year * 4 + (quarter - 1), so consecutive quarters differ by one. The same
-- arithmetic as channel/fiscal.py (quarter_of); tests/test_settings.py checks that they agree.
create macro fiscal_quarter_idx(day, start_month) as
(year(day) + case when start_month > 1 and month(day) >= start_month then 1 else 0 end) * 4
+ ((month(day) - start_month + 12) % 12) // 3
