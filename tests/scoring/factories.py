"""Small ORM factories for scoring and leaderboard tests: seasons, results, teams, lineups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from webapp.models import (
    Constructor,
    Driver,
    League,
    LeagueMember,
    Lineup,
    LineupDriver,
    Race,
    RaceResult,
    RaceStatus,
    ResultSource,
    ResultVersion,
    Season,
    Team,
    User,
)

# Drivers of the fixture season, with the constructor each drove for.
DRIVERS = {
    "HAM": "mercedes",
    "RUS": "mercedes",
    "VER": "red_bull",
    "PER": "red_bull",
    "LEC": "ferrari",
    "SAI": "ferrari",
    "NOR": "mclaren",
    "PIA": "mclaren",
    "ALO": "aston_martin",
    "OCO": "alpine",
    "RIC": "rb",
    "HUL": "haas",
    "ALB": "williams",
    "ZHO": "sauber",
}

# (code, positionText, status, FastestLap.rank) as the feed gives them.
ResultRow = tuple[str, str, str, int | None]


def utc(*args: int) -> datetime:
    """Return an aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class World:
    """A season with drivers and races; builds users, teams, lineups and results on demand."""

    season: Season
    drivers: dict[str, Driver]
    races: list[Race] = field(default_factory=list)
    users: int = 0

    @classmethod
    async def create(cls, year: int = 2024) -> World:
        """Create the season and its drivers."""
        season = await Season.create(year=year, name=f"{year} World Championship")
        constructors: dict[str, Constructor] = {}
        drivers: dict[str, Driver] = {}
        for code, ref in DRIVERS.items():
            if ref not in constructors:
                constructors[ref] = await Constructor.create(season=season, ref=ref, name=ref)
            drivers[code] = await Driver.create(
                season=season,
                ref=code.lower(),
                code=code,
                first_name=code.title(),
                last_name=code,
                price=Decimal("20.0"),
                constructor=constructors[ref],
            )
        return cls(season=season, drivers=drivers)

    async def add_drivers(self, count: int) -> None:
        """Add reserve drivers X01, X02, … to the season (with the first constructor)."""
        constructor_id = next(iter(self.drivers.values())).constructor_id  # type: ignore[attr-defined]
        for n in range(1, count + 1):
            code = f"X{n:02d}"
            self.drivers[code] = await Driver.create(
                season=self.season,
                ref=code.lower(),
                code=code,
                first_name="Reserve",
                last_name=code,
                price=Decimal("5.0"),
                constructor_id=constructor_id,
            )

    async def race(self, name: str, *, lock_at: datetime) -> Race:
        """Add a race to the calendar, starting a day after it locks."""
        race = await Race.create(
            season=self.season,
            round=len(self.races) + 1,
            name=name,
            circuit=name,
            country="",
            starts_at=lock_at + timedelta(days=1),
            lock_at=lock_at,
            status=RaceStatus.LOCKED,
        )
        self.races.append(race)
        return race

    async def user(self, username: str | None = None) -> User:
        """Create a user directly (no password hashing: these tests never log in)."""
        self.users += 1
        name = username or f"user{self.users}"
        return await User.create(
            email=f"{name}@example.com", username=name, display_name=name, password_hash="-"
        )

    async def team(self, name: str, *, owner: User | None = None, game: str = "classic") -> Team:
        """Create a team of the season, playing `game`."""
        owner = owner or await self.user()
        return await Team.create(owner=owner, season=self.season, name=name, game=game)

    async def lineup(
        self, team: Team, codes: list[str], *, captain: str, saved_at: datetime
    ) -> Lineup:
        """Save a lineup of five drivers for a team at `saved_at`."""
        lineup = await Lineup.create(team=team, saved_at=saved_at, captain=self.drivers[captain])
        await LineupDriver.bulk_create(
            [
                LineupDriver(
                    lineup=lineup,
                    driver=self.drivers[code],
                    is_captain=code == captain,
                    price=self.drivers[code].price,
                )
                for code in codes
            ]
        )
        return lineup

    async def results(self, race: Race, rows: list[ResultRow]) -> int:
        """Store a new version of a race's results and make it the one that counts."""
        version = race.results_version + 1
        await ResultVersion.create(
            race=race, version=version, content_hash=f"v{version}", source=ResultSource.MANUAL
        )
        for order, (code, text, status, fastest) in enumerate(rows, start=1):
            driver = self.drivers[code]
            await RaceResult.create(
                race=race,
                version=version,
                driver=driver,
                constructor_id=driver.constructor_id,  # type: ignore[attr-defined]
                position=int(text) if text.isdigit() else None,
                position_text=text,
                position_order=order,
                status=status,
                fastest_lap_rank=fastest,
            )
        race.results_version = version
        race.status = RaceStatus.PROVISIONAL
        await race.save(update_fields=["results_version", "status"])
        return version

    async def league(self, name: str, *, owner: User, teams: list[Team], public: bool) -> League:
        """Create a league holding `teams`."""
        league = await League.create(
            season=self.season,
            name=name,
            is_public=public,
            invite_code=f"C{len(name):02d}{name[:5].upper():<5}"[:8],
            owner=owner,
        )
        await LeagueMember.bulk_create([LeagueMember(league=league, team=t) for t in teams])
        return league


# Modelled on the 2024 Belgian GP: Russell won on the road and was disqualified (positionText
# "D"); Hamilton inherited the win. The fastest lap is given to Russell here to check that a
# disqualification voids the bonus even at rank 1.
BELGIUM: list[ResultRow] = [
    ("HAM", "1", "Finished", 2),
    ("PIA", "2", "Finished", 3),
    ("LEC", "3", "Finished", None),
    ("VER", "4", "Finished", None),
    ("NOR", "5", "Finished", None),
    ("SAI", "6", "Finished", None),
    ("PER", "7", "Finished", None),
    ("ALO", "8", "Finished", None),
    ("OCO", "9", "Finished", None),
    ("RIC", "10", "Finished", None),
    ("ALB", "12", "Finished", None),
    ("HUL", "18", "+1 Lap", None),
    ("ZHO", "R", "Retired", None),
    ("RUS", "D", "Disqualified", 1),
]

# Modelled on the 2024 Singapore GP: Ricciardo, 18th, set the fastest lap (rank 1) outside
# the points. Hülkenberg is a classified retirement: positionText "9" with status "Retired",
# as the feed writes every retirement from 2025.
SINGAPORE: list[ResultRow] = [
    ("NOR", "1", "Finished", 2),
    ("VER", "2", "Finished", None),
    ("PIA", "3", "Finished", None),
    ("RUS", "4", "Finished", None),
    ("LEC", "5", "Finished", None),
    ("HAM", "6", "Finished", None),
    ("SAI", "7", "Finished", None),
    ("ALO", "8", "Finished", None),
    ("HUL", "9", "Retired", None),
    ("PER", "10", "Finished", None),
    ("RIC", "18", "+1 Lap", 1),
    ("OCO", "N", "Not classified", None),
    ("ALB", "R", "Retired", None),
    ("ZHO", "W", "Withdrawn", None),
]

BELGIUM_LOCK = utc(2024, 7, 27, 14, 0)
SINGAPORE_LOCK = utc(2024, 9, 21, 13, 0)
