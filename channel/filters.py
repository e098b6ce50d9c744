"""The global filters, with no Streamlit in them: the one list of filter names and labels, and
the ``Filters`` a page, the command line, the warm-up and the tests bind to every page query.

The sidebar that draws them is ``channel.ui.sidebar.draw_global_filters``.
"""

from __future__ import annotations

import dataclasses

# Each partner filter: its URL key and query parameter -> its label. Every page query takes these
# five lists (null = all) plus $as_of and $scope.
FILTERS = {
    "segment": "Segment",
    "region": "Region",
    "partner_type": "Partner type",
    "program_tier": "Program tier",
    "partner_manager": "Partner manager",
}


def no_filters(scope: list[str] | None = None) -> dict[str, object]:
    """The filter parameters of a query over every partner the scope allows (None: all)."""
    return {**dict.fromkeys(FILTERS), "scope": scope}


@dataclasses.dataclass(frozen=True)
class Filters:
    as_of: str
    is_default_as_of: bool
    choices: dict[str, tuple[str, ...]]  # filter -> chosen values (empty = all)
    notices: tuple[str, ...] = ()
    scope: tuple[str, ...] | None = None  # the signed-in viewer's partner managers; None = all
    as_of_state: str = "complete"  # or "in_progress": the as-of quarter contains the data's date

    def params(self) -> dict[str, object]:
        """Bound parameters for every page query: as_of, one list (or None) per filter, and the
        viewer's scope."""
        out: dict[str, object] = {"as_of": self.as_of}
        for key in FILTERS:
            values = self.choices.get(key, ())
            out[key] = list(values) if values else None
        out["scope"] = self.scope_param()
        return out

    def scope_param(self) -> list[str] | None:
        """``$scope`` for a query that takes no filters (one partner's page, the search)."""
        return None if self.scope is None else list(self.scope)

    @property
    def in_progress(self) -> bool:
        """The as-of quarter is not over: attainment is to date, statuses come from before."""
        return self.as_of_state == "in_progress"

    @property
    def as_of_label(self) -> str:
        """The as-of quarter in words for a column or a card: ``2026-Q4 to date`` when it is
        in progress."""
        return f"{self.as_of} to date" if self.in_progress else self.as_of

    @property
    def everyone(self) -> str:
        """What "all partners" means for this viewer, in words."""
        return "the channel" if self.scope is None else "the partners you can see"

    def describe(self) -> str:
        parts = [f"{FILTERS[k]}: {', '.join(v)}" for k, v in self.choices.items() if v] or [
            "all partners"
        ]
        return " · ".join(parts)
