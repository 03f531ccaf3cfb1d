"""Every table of Paddock, declared once; features add code, not columns.

Beside each foreign key Tortoise sets its column as a plain attribute (`owner_id` next to
`owner`) and each `related_name` as a reverse relation; the bare annotations below only
tell the type checker they exist, they declare no field.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.contrib.postgres.fields import ArrayField
from tortoise.fields.db_defaults import SqlDefault
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model


class RaceStatus(StrEnum):
    SCHEDULED = "scheduled"
    LOCKED = "locked"
    PROVISIONAL = "provisional"
    FINAL = "final"
    CANCELLED = "cancelled"


class ResultSource(StrEnum):
    FEED = "feed"
    MANUAL = "manual"


class NotificationType(StrEnum):
    RESULTS_PUBLISHED = "results_published"
    RESULTS_CHANGED = "results_changed"
    LEAGUE_JOINED = "league_joined"
    LINEUP_LOCKED = "lineup_locked"
    RANK_CHANGED = "rank_changed"
    DEADLINE_SOON = "deadline_soon"


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    username = fields.CharField(max_length=30, unique=True)
    display_name = fields.CharField(max_length=60)
    password_hash = fields.CharField(max_length=255)
    is_admin = fields.BooleanField(default=False)
    # Tokens issued before this instant stop working (password change).
    tokens_valid_after = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "users"


class RefreshToken(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    user_id: int
    family = fields.UUIDField(db_index=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    # Set when rotated: presenting it again means theft, and revokes the family.
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_tokens"


class Season(Model):
    year = fields.IntField(primary_key=True, generated=False)
    name = fields.CharField(max_length=60)

    class Meta:
        table = "seasons"


class Constructor(Model):
    id = fields.IntField(primary_key=True)
    season: fields.ForeignKeyRelation[Season] = fields.ForeignKeyField(
        "models.Season", related_name="constructors", on_delete=fields.CASCADE
    )
    season_id: int
    ref = fields.CharField(max_length=64)
    name = fields.CharField(max_length=100)
    nationality = fields.CharField(max_length=60, default="")
    # Games whose lineups hold constructors buy them at this price; None until priced.
    price = fields.DecimalField(max_digits=5, decimal_places=1, null=True)

    class Meta:
        table = "constructors"
        unique_together = (("season", "ref"),)
        constraints = (CheckConstraint(check="price > 0", name="constructors_price_positive"),)


class Driver(Model):
    id = fields.IntField(primary_key=True)
    season: fields.ForeignKeyRelation[Season] = fields.ForeignKeyField(
        "models.Season", related_name="drivers", on_delete=fields.CASCADE
    )
    season_id: int
    ref = fields.CharField(max_length=64)
    code = fields.CharField(max_length=3, default="")
    number = fields.IntField(null=True)
    first_name = fields.CharField(max_length=60)
    last_name = fields.CharField(max_length=60)
    nationality = fields.CharField(max_length=60, default="")
    price = fields.DecimalField(max_digits=5, decimal_places=1)
    constructor: fields.ForeignKeyNullableRelation[Constructor] = fields.ForeignKeyField(
        "models.Constructor", related_name="drivers", null=True, on_delete=fields.SET_NULL
    )
    constructor_id: int | None
    # Maintained by the driver-stats task from team-independent scoring.
    season_points = fields.IntField(default=0)
    average_points = fields.DecimalField(max_digits=6, decimal_places=2, default=0)
    form_points = fields.DecimalField(max_digits=6, decimal_places=2, default=0)

    class Meta:
        table = "drivers"
        unique_together = (("season", "ref"),)
        constraints = (CheckConstraint(check="price > 0", name="drivers_price_positive"),)


class Race(Model):
    id = fields.IntField(primary_key=True)
    season: fields.ForeignKeyRelation[Season] = fields.ForeignKeyField(
        "models.Season", related_name="races", on_delete=fields.CASCADE
    )
    season_id: int
    round = fields.IntField()
    name = fields.CharField(max_length=100)
    circuit = fields.CharField(max_length=100)
    locality = fields.CharField(max_length=100, default="")
    country = fields.CharField(max_length=60)
    starts_at = fields.DatetimeField()
    qualifying_at = fields.DatetimeField(null=True)
    sprint_qualifying_at = fields.DatetimeField(null=True)
    sprint_at = fields.DatetimeField(null=True)
    lock_at = fields.DatetimeField()
    status = fields.CharEnumField(RaceStatus, max_length=12, default=RaceStatus.SCHEDULED)
    # The version of results that currently counts; 0 until results exist.
    results_version = fields.IntField(default=0)
    last_polled_at = fields.DatetimeField(null=True)
    results_changed_at = fields.DatetimeField(null=True)
    finalised_at = fields.DatetimeField(null=True)
    # Entered by an admin; the Grand Prix game scores it.
    driver_of_the_day: fields.ForeignKeyNullableRelation[Driver] = fields.ForeignKeyField(
        "models.Driver",
        related_name="driver_of_the_day_races",
        null=True,
        on_delete=fields.SET_NULL,
    )
    driver_of_the_day_id: int | None

    class Meta:
        table = "races"
        unique_together = (("season", "round"),)
        indexes = (("status", "starts_at"),)
        ordering = ["season_id", "round"]


class ResultVersion(Model):
    id = fields.IntField(primary_key=True)
    race: fields.ForeignKeyRelation[Race] = fields.ForeignKeyField(
        "models.Race", related_name="result_versions", on_delete=fields.CASCADE
    )
    race_id: int
    version = fields.IntField()
    content_hash = fields.CharField(max_length=64)
    source = fields.CharEnumField(ResultSource, max_length=8)
    # What changed against the previous version, per driver ref.
    diff: dict[str, Any] = fields.JSONField(default=dict)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="result_versions", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "result_versions"
        unique_together = (("race", "version"),)


class RaceResult(Model):
    id = fields.IntField(primary_key=True)
    race: fields.ForeignKeyRelation[Race] = fields.ForeignKeyField(
        "models.Race", related_name="results", on_delete=fields.CASCADE
    )
    race_id: int
    version = fields.IntField()
    driver: fields.ForeignKeyRelation[Driver] = fields.ForeignKeyField(
        "models.Driver", related_name="results", on_delete=fields.CASCADE
    )
    driver_id: int
    constructor: fields.ForeignKeyRelation[Constructor] = fields.ForeignKeyField(
        "models.Constructor", related_name="results", on_delete=fields.CASCADE
    )
    constructor_id: int
    position = fields.IntField(null=True)
    position_text = fields.CharField(max_length=4)
    position_order = fields.IntField()
    grid = fields.IntField(default=0)
    laps = fields.IntField(default=0)
    status = fields.CharField(max_length=60)
    fastest_lap_rank = fields.IntField(null=True)
    points = fields.DecimalField(max_digits=5, decimal_places=1, default=0)

    class Meta:
        table = "race_results"
        unique_together = (("race", "version", "driver"),)


class SessionResult(Model):
    """A driver's qualifying or sprint classification, stored with the race's result version.

    One results version covers the weekend: a change in any session makes a new version of
    all three, so scoring reads one consistent set.
    """

    id = fields.IntField(primary_key=True)
    race: fields.ForeignKeyRelation[Race] = fields.ForeignKeyField(
        "models.Race", related_name="session_results", on_delete=fields.CASCADE
    )
    race_id: int
    version = fields.IntField()
    # "qualifying" or "sprint".
    session = fields.CharField(max_length=12)
    driver: fields.ForeignKeyRelation[Driver] = fields.ForeignKeyField(
        "models.Driver", related_name="session_results", on_delete=fields.CASCADE
    )
    driver_id: int
    constructor: fields.ForeignKeyRelation[Constructor] = fields.ForeignKeyField(
        "models.Constructor", related_name="session_results", on_delete=fields.CASCADE
    )
    constructor_id: int
    position = fields.IntField(null=True)
    position_text = fields.CharField(max_length=4, default="")
    grid = fields.IntField(default=0)
    fastest_lap_rank = fields.IntField(null=True)
    # Qualifying only: the last part with a time set (1, 2 or 3); 0 is no time in Q1.
    reached = fields.IntField(default=0)
    disqualified = fields.BooleanField(default=False)

    class Meta:
        table = "session_results"
        unique_together = (("race", "version", "session", "driver"),)
        constraints = (
            CheckConstraint(
                check="session IN ('qualifying', 'sprint')", name="session_results_session"
            ),
        )


class Team(Model):
    id = fields.IntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="teams", on_delete=fields.CASCADE
    )
    owner_id: int
    season: fields.ForeignKeyRelation[Season] = fields.ForeignKeyField(
        "models.Season", related_name="teams", on_delete=fields.CASCADE
    )
    season_id: int
    name = fields.CharField(max_length=30)
    # The game it plays (webapp.games); leagues, boards and scores are per game.
    game = fields.CharField(max_length=20, default="classic")
    # Season total, kept equal to the sum of team_race_scores by rescoring.
    points = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "teams"
        unique_together = (("owner", "season", "name"),)
        # No index on points: rescoring updates every team's total, and leaderboards are
        # sorted in Redis (built from a scan of the season's teams), never here.


class Lineup(Model):
    """One saved lineup; the one counting for a race is the last saved before its lock."""

    id = fields.IntField(primary_key=True)
    team: fields.ForeignKeyRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="lineups", on_delete=fields.CASCADE
    )
    team_id: int
    saved_at = fields.DatetimeField()
    captain: fields.ForeignKeyRelation[Driver] = fields.ForeignKeyField(
        "models.Driver", related_name="captained_lineups", on_delete=fields.RESTRICT
    )
    captain_id: int
    # A game with a market (issue 15) stores what scoring needs at save time: the race the
    # lineup was saved for, the bank left, its transfers against the lineup that scored
    # last, the free ones it had (null: all free) and the penalty past them.
    race: fields.ForeignKeyNullableRelation[Race] = fields.ForeignKeyField(
        "models.Race", related_name="lineups", on_delete=fields.SET_NULL, null=True
    )
    race_id: int | None
    bank = fields.DecimalField(max_digits=6, decimal_places=1, null=True)
    transfers = fields.IntField(default=0, db_default=0)
    free_transfers = fields.IntField(null=True)
    penalty_points = fields.IntField(default=0, db_default=0)
    # The lineup's driver and constructor ids, sorted: copies of its entries kept by triggers
    # on lineup_drivers and lineup_constructors (migration 0013), never written by the app,
    # so scoring reads each lineup's assets from its own row instead of joining millions.
    driver_ids: list[int] = ArrayField("int", db_default=SqlDefault("'{}'::integer[]"))
    constructor_ids: list[int] = ArrayField("int", db_default=SqlDefault("'{}'::integer[]"))
    drivers: fields.ReverseRelation[LineupDriver]
    constructors: fields.ReverseRelation[LineupConstructor]

    class Meta:
        table = "lineups"
        indexes = (("team_id", "saved_at"),)


class LineupDriver(Model):
    id = fields.IntField(primary_key=True)
    lineup: fields.ForeignKeyRelation[Lineup] = fields.ForeignKeyField(
        "models.Lineup", related_name="drivers", on_delete=fields.CASCADE
    )
    lineup_id: int
    driver: fields.ForeignKeyRelation[Driver] = fields.ForeignKeyField(
        "models.Driver", related_name="lineup_entries", on_delete=fields.RESTRICT
    )
    driver_id: int
    is_captain = fields.BooleanField(default=False)
    # Price paid when saved, so budget history stays true after price changes.
    price = fields.DecimalField(max_digits=5, decimal_places=1)

    class Meta:
        table = "lineup_drivers"
        unique_together = (("lineup", "driver"),)


class LineupConstructor(Model):
    id = fields.IntField(primary_key=True)
    lineup: fields.ForeignKeyRelation[Lineup] = fields.ForeignKeyField(
        "models.Lineup", related_name="constructors", on_delete=fields.CASCADE
    )
    lineup_id: int
    constructor: fields.ForeignKeyRelation[Constructor] = fields.ForeignKeyField(
        "models.Constructor", related_name="lineup_entries", on_delete=fields.RESTRICT
    )
    constructor_id: int
    # Price paid when saved, like a lineup driver's.
    price = fields.DecimalField(max_digits=5, decimal_places=1)

    class Meta:
        table = "lineup_constructors"
        unique_together = (("lineup", "constructor"),)


class TeamChip(Model):
    """A chip a team played for a race; only the game's market data says what it does."""

    id = fields.IntField(primary_key=True)
    team: fields.ForeignKeyRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="chips", on_delete=fields.CASCADE
    )
    team_id: int
    race: fields.ForeignKeyRelation[Race] = fields.ForeignKeyField(
        "models.Race", related_name="chips", on_delete=fields.CASCADE
    )
    race_id: int
    chip = fields.CharField(max_length=30)
    played_at = fields.DatetimeField()

    class Meta:
        table = "team_chips"
        # Scoring reads a race's chips; a team's chips are read under its row lock.
        indexes = (("race_id", "team_id"), ("team_id", "race_id"))


class League(Model):
    id = fields.IntField(primary_key=True)
    season: fields.ForeignKeyRelation[Season] = fields.ForeignKeyField(
        "models.Season", related_name="leagues", on_delete=fields.CASCADE
    )
    season_id: int
    name = fields.CharField(max_length=50, db_index=True)
    is_public = fields.BooleanField(default=False)
    invite_code = fields.CharField(max_length=8, unique=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="owned_leagues", on_delete=fields.CASCADE
    )
    owner_id: int
    max_teams = fields.IntField(default=50)
    scoring_system = fields.CharField(max_length=20, default="classic")
    # Only teams of this game may join (webapp.games).
    game = fields.CharField(max_length=20, default="classic")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "leagues"
        constraints = (
            CheckConstraint(check="max_teams BETWEEN 2 AND 10000", name="leagues_max_teams"),
        )


class LeagueMember(Model):
    id = fields.IntField(primary_key=True)
    league: fields.ForeignKeyRelation[League] = fields.ForeignKeyField(
        "models.League", related_name="members", on_delete=fields.CASCADE
    )
    league_id: int
    team: fields.ForeignKeyRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="memberships", on_delete=fields.CASCADE
    )
    team_id: int
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "league_members"
        unique_together = (("league", "team"),)
        # A team's leagues (team page, /users/me/leagues) and cascades from teams: see
        # docs/database.md for the plans before and after.
        indexes = (("team_id", "league_id"),)


class TeamRaceScore(Model):
    """A team's points for a race: derived data, rewritten by rescoring, a million per race.

    None of its references has a database constraint: checking them cost a lookup per row
    written, more than half of a first scoring's time. Only rescoring writes these rows,
    from teams, races and lineups it reads in the same statement under the race's lock; the
    triggers of migration 0011 delete a deleted team's or race's scores, as a cascade would.
    A lineup is only deleted with its team.
    """

    id = fields.IntField(primary_key=True)
    team: fields.ForeignKeyRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="race_scores", on_delete=fields.CASCADE, db_constraint=False
    )
    team_id: int
    race: fields.ForeignKeyRelation[Race] = fields.ForeignKeyField(
        "models.Race", related_name="team_scores", on_delete=fields.CASCADE, db_constraint=False
    )
    race_id: int
    scoring_system = fields.CharField(max_length=20, default="classic")
    lineup: fields.ForeignKeyRelation[Lineup] = fields.ForeignKeyField(
        "models.Lineup", related_name="scores", on_delete=fields.CASCADE, db_constraint=False
    )
    lineup_id: int
    points = fields.IntField()
    # No results version per row: a correction then rewrites only the teams whose points
    # moved. The race's breakdown lines record the version its scores were worked out from.
    # A market game's extras, in `points` already: the transfer penalty, the chip played
    # and the captain whose multiplier counted (the best driver under an auto-captain chip).
    penalty_points = fields.IntField(default=0, db_default=0)
    chip = fields.CharField(max_length=30, null=True)
    captain_id = fields.IntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "team_race_scores"
        unique_together = (("team", "race", "scoring_system"),)
        # Not on points: a rescoring that changes points can then update rows in place.
        indexes = (("race_id", "scoring_system"),)


class RaceDriverScore(Model):
    """A driver's points in a race under a system, as captain or not: what breakdowns show.

    A team's breakdown is the rows of its lineup's drivers (captain as captain), so the
    rescoring writes a few dozen of these per race instead of a breakdown per team.
    """

    id = fields.IntField(primary_key=True)
    race: fields.ForeignKeyRelation[Race] = fields.ForeignKeyField(
        "models.Race", related_name="driver_scores", on_delete=fields.CASCADE
    )
    race_id: int
    scoring_system = fields.CharField(max_length=20)
    result_version = fields.IntField()
    driver: fields.ForeignKeyRelation[Driver] = fields.ForeignKeyField(
        "models.Driver", related_name="race_scores", on_delete=fields.CASCADE
    )
    driver_id: int
    captain = fields.BooleanField()
    position_points = fields.IntField()
    bonus_points = fields.IntField()
    multiplier = fields.IntField()
    points = fields.IntField()

    class Meta:
        table = "race_driver_scores"
        unique_together = (("race", "scoring_system", "driver", "captain"),)


class RaceAssetScore(Model):
    """An asset's points in a race weekend under a game scored per session: a breakdown line.

    Every driver has a line as captain and one not, every constructor one, so a team's
    breakdown is its lineup's lines and rescoring writes a few dozen rows per race.
    """

    id = fields.IntField(primary_key=True)
    race: fields.ForeignKeyRelation[Race] = fields.ForeignKeyField(
        "models.Race", related_name="asset_scores", on_delete=fields.CASCADE
    )
    race_id: int
    scoring_system = fields.CharField(max_length=20)
    result_version = fields.IntField()
    # Exactly one of the two is set: the line is a driver's or a constructor's.
    driver: fields.ForeignKeyNullableRelation[Driver] = fields.ForeignKeyField(
        "models.Driver", related_name="asset_scores", on_delete=fields.CASCADE, null=True
    )
    driver_id: int | None
    constructor: fields.ForeignKeyNullableRelation[Constructor] = fields.ForeignKeyField(
        "models.Constructor", related_name="asset_scores", on_delete=fields.CASCADE, null=True
    )
    constructor_id: int | None
    captain = fields.BooleanField(default=False)
    qualifying_points = fields.IntField()
    sprint_points = fields.IntField()
    race_points = fields.IntField()
    bonus_points = fields.IntField()
    # What the captain multiplier adds to the driver's session points.
    captain_points = fields.IntField()
    points = fields.IntField()

    class Meta:
        table = "race_asset_scores"
        indexes = (("race_id", "scoring_system"),)
        constraints = (
            CheckConstraint(
                check="(driver_id IS NULL) <> (constructor_id IS NULL)",
                name="race_asset_scores_one_asset",
            ),
        )


class AssetOwnership(Model):
    """How many of a game's teams held each asset in the lineups that scored its latest race.

    Derived data, written only by webapp/leaderboards/ownership.py (the results pipeline's
    boards stage and the nightly rebuild), read by the driver and constructor pages: one row
    per season and game, with the lineups counted and each asset's holders by id. No foreign
    keys: every build replaces its row.
    """

    id = fields.IntField(primary_key=True)
    season_id = fields.IntField()
    game = fields.CharField(max_length=20)
    # The race whose scored lineups were counted, and how many there were.
    race_id = fields.IntField()
    teams = fields.IntField()
    # {"<driver id>": holders}, {"<constructor id>": holders}; an asset no one holds is absent.
    drivers: dict[str, int] = fields.JSONField(default=dict)
    constructors: dict[str, int] = fields.JSONField(default=dict)

    class Meta:
        table = "asset_ownership"
        unique_together = (("season_id", "game"),)


class AssetPrice(Model):
    """An asset's price in a game with a market, set once after a race's results were first stored.

    An asset with no row in a game is at its starting price, drivers.price or
    constructors.price, which the classic game always uses; webapp/market/prices.py reads
    the current price of every asset.
    """

    id = fields.IntField(primary_key=True)
    game = fields.CharField(max_length=20)
    season: fields.ForeignKeyRelation[Season] = fields.ForeignKeyField(
        "models.Season", related_name="asset_prices", on_delete=fields.CASCADE
    )
    season_id: int
    # The race whose results moved the price: one row per game, race and asset at most.
    race: fields.ForeignKeyRelation[Race] = fields.ForeignKeyField(
        "models.Race", related_name="asset_prices", on_delete=fields.CASCADE
    )
    race_id: int
    # Exactly one of the two is set: the price is a driver's or a constructor's.
    driver: fields.ForeignKeyNullableRelation[Driver] = fields.ForeignKeyField(
        "models.Driver", related_name="prices", on_delete=fields.CASCADE, null=True
    )
    driver_id: int | None
    constructor: fields.ForeignKeyNullableRelation[Constructor] = fields.ForeignKeyField(
        "models.Constructor", related_name="prices", on_delete=fields.CASCADE, null=True
    )
    constructor_id: int | None
    price = fields.DecimalField(max_digits=5, decimal_places=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "asset_prices"
        unique_together = (("game", "race", "driver"), ("game", "race", "constructor"))
        indexes = (("driver_id", "game"), ("constructor_id", "game"), ("game", "season_id"))
        constraints = (
            CheckConstraint(
                check="(driver_id IS NULL) <> (constructor_id IS NULL)",
                name="asset_prices_one_asset",
            ),
            CheckConstraint(check="price > 0", name="asset_prices_price_positive"),
        )


class Notification(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notifications", on_delete=fields.CASCADE
    )
    user_id: int
    type = fields.CharEnumField(NotificationType, max_length=20)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    data: dict[str, Any] = fields.JSONField(default=dict)
    # One event never notifies one user twice: producers derive this key from the event.
    dedup_key = fields.CharField(max_length=200, unique=True)
    read_at = fields.DatetimeField(null=True)
    # Set when the push worker took it (sent or not): each notification is pushed at most once.
    pushed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notifications"
        # The push worker's claim reads `pushed_at IS NULL ORDER BY id` off the last one.
        indexes = (("user_id", "created_at"), ("user_id", "read_at"), ("pushed_at", "id"))


class PushSubscription(Model):
    """One browser's Web Push endpoint and encryption keys, for the user who subscribed it."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="push_subscriptions", on_delete=fields.CASCADE
    )
    user_id: int
    # A browser has one endpoint per site: subscribing it again moves it to the new user.
    endpoint = fields.CharField(max_length=1000, unique=True)
    p256dh = fields.CharField(max_length=100)
    auth = fields.CharField(max_length=40)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "push_subscriptions"


class PushPreference(Model):
    """A notification type a user wants pushed to their subscribed browsers."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="push_preferences", on_delete=fields.CASCADE
    )
    user_id: int
    type = fields.CharEnumField(NotificationType, max_length=20)

    class Meta:
        table = "push_preferences"
        unique_together = (("user", "type"),)


class FeedPoll(Model):
    """One attempt to fetch a race's results, for the admin status page."""

    id = fields.IntField(primary_key=True)
    race: fields.ForeignKeyNullableRelation[Race] = fields.ForeignKeyField(
        "models.Race", related_name="polls", null=True, on_delete=fields.CASCADE
    )
    race_id: int | None
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    ok = fields.BooleanField(default=False)
    outcome = fields.CharField(max_length=30, default="")
    error = fields.TextField(default="")
    # The process that ran the poll, and the one that closed it as abandoned (host:pid).
    worker = fields.CharField(max_length=100, default="")
    closed_by = fields.CharField(max_length=100, default="")

    class Meta:
        table = "feed_polls"
        indexes = (("race_id", "started_at"),)


class TaskRun(Model):
    """One execution of a background task, for the admin status page."""

    id = fields.IntField(primary_key=True)
    task_name = fields.CharField(max_length=100)
    task_id = fields.CharField(max_length=64)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    ok = fields.BooleanField(default=False)
    error = fields.TextField(default="")

    class Meta:
        table = "task_runs"
        indexes = (("task_name", "started_at"),)


class Replay(Model):
    """A bundled season re-run on an accelerated clock, one per season, shared by every process."""

    id = fields.IntField(primary_key=True)
    season: fields.OneToOneRelation[Season] = fields.OneToOneField(
        "models.Season", related_name="replay", on_delete=fields.CASCADE
    )
    season_id: int
    # Real time at which the replay's lead-in began, and the real minutes each race gets.
    began_at = fields.DatetimeField()
    minutes_per_race = fields.FloatField()
    created_at = fields.DatetimeField()
    # How many times the replay was started over from its first race.
    restarts = fields.IntField(default=0)

    class Meta:
        table = "replays"


__all__ = [
    "Constructor",
    "Driver",
    "FeedPoll",
    "League",
    "LeagueMember",
    "Lineup",
    "LineupDriver",
    "Notification",
    "NotificationType",
    "Race",
    "RaceResult",
    "RaceStatus",
    "RefreshToken",
    "Replay",
    "ResultSource",
    "ResultVersion",
    "Season",
    "TaskRun",
    "Team",
    "TeamRaceScore",
    "User",
]
