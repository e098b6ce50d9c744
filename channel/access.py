"""Who may see what: the optional sign-in's e-mail -> role mapping, and the viewer it yields.

Sign-in is off unless ``.streamlit/secrets.toml`` has an ``[auth]`` section (Streamlit's
``st.login`` with an OIDC provider). Off, everyone who can reach the server sees every partner,
as before. On, the ``[access]`` table of the settings file decides:

- an address listed under ``leadership`` sees every partner;
- an address listed under ``[access.partner_managers]`` sees only the partners whose
  ``partner_manager`` is one of the names given for it;
- anybody else is refused politely, and so is an address the provider marks as unverified.

Importing data (the Import data page) replaces everyone's data, so it is a permission of its
own: with sign-in on, the addresses listed under ``import`` in ``[access]`` (each must also be
under leadership or partner_managers); nobody by default. With sign-in off, everyone who reaches
the server when ``allow_import = true`` is set at the top of the settings file; nobody otherwise.

The result is a ``Viewer``, whose ``scope`` is bound as the ``$scope`` parameter of every partner
query (``queries/build/90_filtered_partners.sql``). It never comes from the URL or a widget.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from channel.settings import SettingsError, read_toml, settings_file

OPEN = "open"  # sign-in not configured: everyone sees everything
LEADERSHIP = "leadership"
PARTNER_MANAGER = "partner_manager"
SIGNED_OUT = "signed_out"
REFUSED = "refused"


@dataclasses.dataclass(frozen=True)
class AccessRules:
    leadership: frozenset[str] = frozenset()  # lower-case e-mail addresses
    partner_managers: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    importers: frozenset[str] = frozenset()  # [access] import: who may import, signed in
    allow_import: bool = False  # top-level allow_import: anyone may import, sign-in off


@dataclasses.dataclass(frozen=True)
class Viewer:
    role: str
    email: str | None = None
    managers: tuple[str, ...] | None = None  # None: every partner
    can_import: bool = False  # may use the Import data page

    @property
    def allowed(self) -> bool:
        return self.role in (OPEN, LEADERSHIP, PARTNER_MANAGER)

    @property
    def scope(self) -> list[str] | None:
        """The ``$scope`` parameter: the partner managers whose partners this viewer may see."""
        if not self.allowed:
            return []  # nobody's partners (never reached: refused viewers see no page)
        return None if self.managers is None else list(self.managers)

    def describe(self) -> str:
        """What this viewer sees, in words."""
        if self.role == PARTNER_MANAGER:
            return f"Partners of {', '.join(self.managers or ())}"
        return {LEADERSHIP: "Leadership: every partner", OPEN: "Every partner"}.get(self.role, "")


def parse_rules(raw: object, source: str = "settings", allow_import: object = False) -> AccessRules:
    """The ``[access]`` table of a settings file, checked, and its top-level ``allow_import``.
    Addresses compare case-insensitively."""
    if not isinstance(allow_import, bool):
        raise SettingsError(f"{source}: allow_import must be true or false")
    if raw is None:
        return AccessRules(allow_import=allow_import)
    if not isinstance(raw, dict):
        raise SettingsError(f"{source}: [access] must be a table")
    unknown = set(raw) - {"leadership", "partner_managers", "import"}
    if unknown:
        raise SettingsError(f"{source}: [access] {sorted(unknown)[0]}: unknown setting")
    leaders = raw.get("leadership", [])
    if not isinstance(leaders, list) or not all(isinstance(e, str) and "@" in e for e in leaders):
        raise SettingsError(f"{source}: [access] leadership must be a list of e-mail addresses")
    managers_raw = raw.get("partner_managers", {})
    if not isinstance(managers_raw, dict):
        raise SettingsError(f"{source}: [access.partner_managers] must be a table")
    managers: dict[str, tuple[str, ...]] = {}
    for email, names in managers_raw.items():
        if isinstance(names, str):
            names = [names]
        if (
            "@" not in email
            or not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) and n.strip() for n in names)
        ):
            raise SettingsError(
                f"{source}: [access.partner_managers] {email!r}: expected an e-mail address = "
                "a partner manager's name, or a list of names, as in partners.partner_manager"
            )
        managers[email.strip().lower()] = tuple(n.strip() for n in names)
    leadership = frozenset(e.strip().lower() for e in leaders)
    both = leadership & managers.keys()
    if both:
        raise SettingsError(
            f"{source}: [access] {sorted(both)[0]} is listed both under leadership and under "
            "partner_managers; keep one"
        )
    importers_raw = raw.get("import", [])
    if not isinstance(importers_raw, list) or not all(
        isinstance(e, str) and "@" in e for e in importers_raw
    ):
        raise SettingsError(f"{source}: [access] import must be a list of e-mail addresses")
    importers = frozenset(e.strip().lower() for e in importers_raw)
    strangers = importers - leadership - managers.keys()
    if strangers:
        raise SettingsError(
            f"{source}: [access] import: {sorted(strangers)[0]} is not under leadership or "
            "partner_managers; list it there too (an importer must be able to sign in)"
        )
    return AccessRules(
        leadership=leadership,
        partner_managers=managers,
        importers=importers,
        allow_import=allow_import,
    )


_CACHE: dict[tuple[str, int], AccessRules] = {}


def load_rules(path: str | os.PathLike | None = None) -> AccessRules:
    """The ``[access]`` rules of the settings file, re-read when the file changes."""
    file = settings_file(path)
    try:
        stamp = file.stat().st_mtime_ns
    except FileNotFoundError:
        return AccessRules()
    key = (str(file), stamp)
    if key not in _CACHE:
        _CACHE.clear()
        raw = read_toml(file)
        _CACHE[key] = parse_rules(raw.get("access"), str(file), raw.get("allow_import", False))
    return _CACHE[key]


def resolve(user: Mapping[str, object], sign_in: bool, rules: AccessRules) -> Viewer:
    """The viewer for a Streamlit ``st.user`` mapping. ``sign_in``: is ``[auth]`` configured?"""
    if not sign_in:
        return Viewer(OPEN, can_import=rules.allow_import)
    if not user.get("is_logged_in"):
        return Viewer(SIGNED_OUT)
    email = str(user.get("email") or "").strip().lower()
    if not email or user.get("email_verified") is False:
        return Viewer(REFUSED, email or None)
    may_import = email in rules.importers
    if email in rules.leadership:
        return Viewer(LEADERSHIP, email, can_import=may_import)
    if email in rules.partner_managers:
        return Viewer(PARTNER_MANAGER, email, rules.partner_managers[email], may_import)
    return Viewer(REFUSED, email)


LOCAL_ADDRESSES = ("127.0.0.1", "localhost", "::1")


def exposed_import_warning(address: str, sign_in: bool, allow_import: bool) -> str | None:
    """The start-up warning when a server bound beyond this machine lets anyone import: sign-in
    off and ``allow_import = true``. An empty address means every interface."""
    if sign_in or not allow_import or address.strip() in LOCAL_ADDRESSES:
        return None
    where = address.strip() or "every network interface"
    return (
        f"the server listens on {where} with sign-in off and allow_import = true: anyone who "
        "can reach it can replace the data from the Import data page. Turn on sign-in (an "
        "[auth] section in .streamlit/secrets.toml and [access] import), or set "
        "allow_import = false."
    )


def viewer_for_email(email: str | None, rules: AccessRules | None = None) -> Viewer:
    """The command line's ``--viewer EMAIL``: the same mapping, without a sign-in."""
    if email is None:
        return Viewer(OPEN)
    return resolve({"is_logged_in": True, "email": email}, True, rules or load_rules())
