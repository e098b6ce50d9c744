"""Settings: a TOML file (``channel.toml`` at the repository root by default) plus ``CHANNEL_DB``.

The file path comes from ``CHANNEL_SETTINGS`` when set. Every key is optional; a missing key keeps
its default, an unknown key or a value of the wrong kind raises ``SettingsError`` naming the file
and the key. The loader snapshots the settings into the database (table ``settings``), so that
every page and export built on one database uses the same thresholds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_FILE = ROOT / "channel.toml"
DEFAULT_DB = Path("data/channel.duckdb")

TIERS = ("Platinum", "Gold", "Silver", "Registered")  # highest first
STATUSES = ("ok", "watch", "at_risk", "replace_review")  # mildest first
# missed_last_8 counts the 8 fiscal quarters ending at the as-of quarter (fixed: it is in the name).
REVIEW_WINDOW = 8


class SettingsError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Settings:
    fiscal_year_start_month: int = 1
    tier_floor_platinum: float = 5_000_000.0
    tier_floor_gold: float = 1_000_000.0
    tier_floor_silver: float = 250_000.0
    miss_below: float = 1.0
    watch_streak: int = 2
    at_risk_streak: int = 3
    replace_review_missed: int = 6  # of the last REVIEW_WINDOW quarters
    currency_symbol: str = "$"  # display only
    # Vertical alignment verdicts: a share gap of at least this many percentage points (0-100)
    alignment_gap_pts: float = 5.0
    # The date the data describes; None: the latest deal date. The loader resolves it
    # (channel.loader.resolve_data_as_of), binds it as $data_as_of and records it in meta.
    data_as_of: dt.date | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.fiscal_year_start_month <= 12:
            raise SettingsError("fiscal_year_start_month must be between 1 and 12")
        if not (self.tier_floor_platinum >= self.tier_floor_gold >= self.tier_floor_silver >= 0):
            raise SettingsError("tier floors must satisfy Platinum >= Gold >= Silver >= 0")
        if self.miss_below < 0:
            raise SettingsError("miss_below must be >= 0")
        if not 1 <= self.watch_streak <= self.at_risk_streak:
            raise SettingsError("need 1 <= watch_streak <= at_risk_streak")
        if not 1 <= self.replace_review_missed <= REVIEW_WINDOW:
            raise SettingsError(f"need 1 <= replace_review_missed <= {REVIEW_WINDOW}")
        if not 0 < self.alignment_gap_pts <= 100:
            raise SettingsError("alignment_gap_pts must be above 0 and at most 100 (points)")

    def as_params(self) -> dict[str, float | int]:
        """The settings as SQL parameters (``$miss_below`` and so on); ``data_as_of`` is left
        out: the loader resolves the data's date and binds it itself."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "data_as_of"}


DEFAULTS = Settings()  # every setting's default, for code that shows one without a database


# TOML layout -> field name. Top-level keys map to themselves; [tier_floors] keys are tier names.
_TIER_KEYS = {
    "platinum": "tier_floor_platinum",
    "gold": "tier_floor_gold",
    "silver": "tier_floor_silver",
}


def settings_file(path: str | os.PathLike | None = None) -> Path:
    """``path``, else ``$CHANNEL_SETTINGS``, else ``channel.toml`` at the repository root."""
    return Path(path or os.environ.get("CHANNEL_SETTINGS") or DEFAULT_SETTINGS_FILE)


def read_toml(file: Path) -> dict:
    """A settings file's TOML; ``SettingsError`` naming the file when it is not valid TOML."""
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SettingsError(f"{file}: not valid TOML: {e}") from None


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read the settings file (``path``, else ``$CHANNEL_SETTINGS``, else ``channel.toml``).

    A missing default file means all defaults; a missing file that was named explicitly is an error.
    """
    explicit = path is not None or "CHANNEL_SETTINGS" in os.environ
    file = settings_file(path)
    if not file.exists():
        if explicit:
            raise SettingsError(f"{file}: settings file not found")
        return Settings()
    raw = read_toml(file)
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key == "tier_floors" and isinstance(value, dict):
            for tier, floor in value.items():
                name = _TIER_KEYS.get(tier.lower())
                if name is None:
                    raise SettingsError(f"{file}: [tier_floors] {tier}: unknown tier")
                values[name] = floor
        elif key in ("access", "allow_import"):
            continue  # who may see and import what: channel.access reads them, at run time
        elif key in fields and not key.startswith("tier_floor_"):
            values[key] = value
        else:
            raise SettingsError(f"{file}: {key}: unknown setting")
    for name, value in values.items():
        kind = fields[name].type
        if name == "data_as_of":
            values[name] = _date_setting(file, value)
            continue
        if kind == "str":
            ok = isinstance(value, str) and len(value) <= 5
        elif kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            expected = "a short text" if kind == "str" else f"a number ({kind})"
            raise SettingsError(f"{file}: {name} = {value!r}: expected {expected}")
        values[name] = float(value) if kind == "float" else value
    try:
        return Settings(**values)
    except SettingsError as e:
        raise SettingsError(f"{file}: {e}") from None


def _date_setting(file: Path, value: object) -> dt.date:
    """``data_as_of``: a TOML date (``2026-11-15``) or the same date in quotes."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise SettingsError(f"{file}: data_as_of = {value!r}: expected a date written YYYY-MM-DD")


def db_path() -> Path:
    """The database the app and the CLI use by default: ``$CHANNEL_DB`` or data/channel.duckdb."""
    return Path(os.environ.get("CHANNEL_DB") or DEFAULT_DB)
