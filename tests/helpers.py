"""Shared test helpers: small hand-built datasets written from code.

The quarter-states dataset: three partners with targets of 100, deals on chosen dates around
quarter edges. Its hand-worked answers are in tests/test_quarter_states.py.
"""

from __future__ import annotations

from pathlib import Path

PARTNERS = """partner_id,partner_name,segment,region
A,Alpha,SMB,North
B,Bravo,Midmarket,North
C,Charlie,Enterprise,South
"""

DEALS_2025 = [
    # deal_id, partner_id, amount, closed_on, status
    ("A1", "A", 50, "2025-02-10", "won"),
    ("A2", "A", 50, "2025-05-10", "won"),
    ("A3", "A", 50, "2025-08-10", "won"),
    ("A4", "A", 150, "2025-11-10", "won"),
    ("A5", "A", 500, "2025-11-11", "lost"),  # lost: never revenue
    ("B1", "B", 100, "2025-01-01", "won"),  # first day of 2025-Q1; exactly at target: a hit
    ("B2", "B", 80, "2025-06-30", "won"),  # last day of 2025-Q2
    ("B3", "B", 90, "2025-09-15", "won"),
    ("B4", "B", 60, "2025-12-31", "won"),  # last day of 2025-Q4: the latest 2025 deal date
    ("C1", "C", 120, "2025-03-31", "won"),
    ("C2", "C", 100, "2025-04-01", "won"),  # first day of 2025-Q2; exactly at target
    ("C3", "C", 40, "2025-07-20", "won"),
    ("C4", "C", 70, "2025-10-20", "won"),
]
DEALS_2026 = [
    ("A6", "A", 30, "2026-01-20", "won"),
    ("C5", "C", 60, "2026-02-15", "won"),  # the latest deal date of the mid-quarter export
    ("B5", "B", 900, "2026-03-20", "open"),  # open: never revenue, whatever its date
    ("B6", "B", 400, "", "open"),  # an open deal without an expected close date loads
]
QUARTERS_2025 = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
PLAN_2026 = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]

STATUS_2025Q4 = {"A": (0, 3, "ok"), "B": (3, 3, "at_risk"), "C": (2, 2, "watch")}


def quarter_states_folder(root: Path, deals: list[tuple], target_quarters: list[str]) -> Path:
    """Write partners, deals and targets (100 per partner and quarter) to ``root``."""
    root.mkdir(parents=True)
    (root / "partners.csv").write_text(PARTNERS)
    rows = ["deal_id,partner_id,amount,closed_on,status"]
    rows += [",".join(str(v) for v in d) for d in deals]
    (root / "deals.csv").write_text("\n".join(rows) + "\n")
    targets = ["partner_id,fiscal_quarter,target_amount"]
    targets += [f"{p},{q},100" for q in target_quarters for p in "ABC"]
    (root / "targets.csv").write_text("\n".join(targets) + "\n")
    return root
