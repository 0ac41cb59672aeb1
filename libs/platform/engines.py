"""The broker and the database for `make run` and the tests: the configured ones, or private ones for this
checkout.

Three cases (docs/operations.md):
- `AMQP_URI` / `DATABASE_URL` set: used as they are (an unreachable one is an error, as before);
- not set and RabbitMQ / PostgreSQL answer on their default loopback ports: those are used;
- not set and nothing answers (or `HT_PRIVATE_ENGINES=1`): a private PostgreSQL cluster (`.run/pg`, `initdb` +
  `pg_ctl`) and a private RabbitMQ node (`.run/rabbitmq`, its own node name, epmd, cookie and loopback
  ports) are
  started for this checkout, stopped when the caller stops, and reused with their data on the next start.

`HT_PRIVATE_ENGINES=0` never starts private engines. Only the distribution's binaries are used (installed by
scripts/system-packages.sh); nothing is downloaded.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from .migrate import DEFAULT_DATABASE_URL

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
START_TIMEOUT = float(os.environ.get("HT_ENGINE_START_TIMEOUT", "120"))
# While a private broker is in use, how the RabbitMQ command-line tools reach it (set for child processes
# too).
CTL_ENV = "HT_PRIVATE_RABBITMQ"


class EngineError(RuntimeError):
    """Something the user must install or fix; the message says what, in one line."""


def run_dir(root: Path) -> Path:
    """Where local state lives: `HT_RUN_DIR` or `<checkout>/.run`."""
    return Path(os.environ.get("HT_RUN_DIR") or root / ".run").resolve()


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port(avoid: set[int] | frozenset[int] = frozenset()) -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in avoid:
            return port


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (our own child not yet reaped) is gone for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _wait(predicate, timeout: float, what: str, log: Path | None = None, failed=lambda: False) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if failed() or time.monotonic() > deadline:
            tail = ""
            if log and log.exists():
                tail = " | " + " ".join(log.read_text(errors="replace").splitlines()[-5:])[-600:]
            raise EngineError(
                f"{what} ({'exited' if failed() else f'not within {timeout:.0f} s'}); log: {log}{tail}"
            )
        time.sleep(0.2)


def _claim(base: Path) -> bool:
    """Whether this process should stop an engine it found running under `base`: yes when the process that
    started it (`owner.pid`) is gone (it was killed before it could stop it); then this process owns it."""
    owner = _read_pid(base / "owner.pid")
    if owner and owner != os.getpid() and _pid_alive(owner):
        return False  # another `make run` / test session of this checkout uses it: leave it to that one
    _own(base)
    return True


def _own(base: Path) -> None:
    (base / "owner.pid").write_text(str(os.getpid()))


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _ports(state_file: Path, names: tuple[str, ...]) -> dict[str, int]:
    """Ports kept from the last start when still free, else new free loopback ports (kept for next time)."""
    kept = _load(state_file)
    ports: dict[str, int] = {}
    for name in names:
        port = kept.get(name)
        if not (isinstance(port, int) and _port_free(port) and port not in ports.values()):
            port = free_port(set(ports.values()))
        ports[name] = port
    state_file.write_text(json.dumps(ports))
    return ports


# ---------------------------------------------------------------------------------------------------
# PostgreSQL


def pg_bindir() -> Path | None:
    """The newest installed PostgreSQL server binaries (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _pg_user() -> str | None:
    """When root, the unprivileged system user PostgreSQL runs as (`postgres`, created when missing)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"],
            check=True,
            capture_output=True,
        )
    return "postgres"


def _postmaster_port(data: Path) -> int | None:
    """The port of the live postmaster of the cluster in `data` (from postmaster.pid), if any."""
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    return port if _pid_alive(pid) else None


class PrivatePostgres:
    """A PostgreSQL cluster under `<run>/pg`: `data/`, `postgresql.log`; TCP on 127.0.0.1 only, trust auth."""

    def __init__(self, base: Path):
        self.base = base
        self.data = base / "data"
        self.log = base / "postgresql.log"
        self.port: int | None = None
        self.owned = self.adopted = False
        self.user = _pg_user()

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *args] if self.user else list(args)

    def running_port(self) -> int | None:
        return _postmaster_port(self.data)

    def start(self) -> None:
        bindir = pg_bindir()
        if bindir is None:
            raise EngineError(
                "PostgreSQL's server binaries are missing; run `make install` (Debian package "
                "`postgresql`) or set DATABASE_URL"
            )
        self.base.mkdir(parents=True, exist_ok=True)
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
            probe = subprocess.run(self._cmd("test", "-w", str(self.base)), capture_output=True)
            if probe.returncode != 0:
                blocked = next(
                    (
                        p
                        for p in reversed(self.base.parents)
                        if subprocess.run(self._cmd("test", "-x", str(p))).returncode != 0
                    ),
                    self.base,
                )
                raise EngineError(
                    f"PostgreSQL runs as `{self.user}` (initdb refuses root), which cannot reach "
                    f"{self.base}; allow it with `chmod o+x {blocked}` or use another checkout"
                )
        if not (self.data / "PG_VERSION").exists():
            if self.data.exists():
                shutil.rmtree(self.data)  # an initdb that did not finish
            done = subprocess.run(
                self._cmd(
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ),
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                done = subprocess.run(
                    self._cmd(
                        str(bindir / "initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        "postgres",
                        "-A",
                        "trust",
                        "-E",
                        "UTF8",
                        "--locale=C",
                    ),
                    capture_output=True,
                    text=True,
                )
            if done.returncode != 0:
                raise EngineError(f"initdb failed in {self.data}: {done.stderr.strip()[-400:]}")
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write(
                    "\n# hientruong private cluster (libs/platform/engines.py)\n"
                    "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                    "max_connections = 300\nsynchronous_commit = off\n"
                )
        self.port = self.running_port()
        if self.port is not None:  # already running: use it, and stop it at the end if its starter is gone
            self.owned = self.adopted = _claim(self.base)
            return
        self.port = _ports(self.base / "ports.json", ("pg",))["pg"]
        # pg_ctl forks the postmaster into the background; its own session keeps a terminal Ctrl-C away from
        # it (the caller stops it after the services).
        proc = subprocess.Popen(
            self._cmd(
                str(bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                f"-p {self.port}",
                "-s",
                "-w",
                "-t",
                str(int(START_TIMEOUT)),
                "start",
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.owned = True
        _own(self.base)
        _wait(
            lambda: self.running_port() == self.port and port_open("127.0.0.1", self.port),
            START_TIMEOUT,
            "the private PostgreSQL did not start",
            self.log,
            failed=lambda: proc.poll() not in (None, 0),
        )
        proc.wait(START_TIMEOUT)

    def wait_ready(self) -> None:
        """Ready when `start` returns."""

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if not self.owned or self.running_port() is None:
            return
        bindir = pg_bindir()
        if bindir is None:  # the binaries went away since the start: nothing can stop it from here
            return
        subprocess.run(
            self._cmd(
                str(bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-s", "-w", "-t", "60", "stop"
            ),
            capture_output=True,
        )
        (self.base / "owner.pid").unlink(missing_ok=True)

    def pids(self) -> list[int]:
        pid = _read_pid(self.data / "postmaster.pid")
        return [pid] if pid and _pid_alive(pid) else []


# -----------------------------------------------------------------------------------------------------
# RabbitMQ


def rabbit_scripts() -> Path | None:
    """RabbitMQ's own scripts (not Debian's /usr/sbin wrappers, which switch to the `rabbitmq` user)."""
    for candidate in ("/usr/lib/rabbitmq/bin", "/usr/local/lib/rabbitmq/bin"):
        if Path(candidate, "rabbitmq-server").exists():
            return Path(candidate)
    server = shutil.which("rabbitmq-server")
    return Path(server).resolve().parent if server else None


def epmd_binary() -> str | None:
    found = shutil.which("epmd") or next(iter(sorted(glob.glob("/usr/lib/erlang/erts-*/bin/epmd"))), None)
    return found


class PrivateRabbit:
    """A RabbitMQ node under `<run>/rabbitmq`: `mnesia/`, `log/`, its config, cookie (`home/`), own epmd."""

    def __init__(self, base: Path):
        self.base = base
        self.node = ""  # read from node.txt by _prepare
        self.state = base / "ports.json"
        self.log_dir = base / "log"
        self.ports: dict[str, int] = {}
        self.owned = self.adopted = False
        self.server: subprocess.Popen | None = None
        self.epmd: subprocess.Popen | None = None

    def _node_name(self) -> str:
        """Stable per directory (kept in node.txt: the data in mnesia/ belongs to that name)."""
        path = self.base / "node.txt"
        if not path.exists():
            path.write_text(f"hientruong-{secrets.token_hex(4)}@localhost")
        return path.read_text().strip()

    def env(self) -> dict[str, str]:
        """The environment for rabbitmq-server and rabbitmqctl on this node."""
        b = self.base
        return {
            **os.environ,
            "HOME": str(b / "home"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_CONF_ENV_FILE": str(b / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(b / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(b / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(b / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(b / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.log_dir),
            "RABBITMQ_PID_FILE": str(b / "rabbitmq.pid"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(b / "plugins-expand"),
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.ports["amqp"]),
            "RABBITMQ_DIST_PORT": str(self.ports["dist"]),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(self.ports["epmd"]),
            "RABBITMQ_CTL_DIST_PORT_MIN": str(self.ports["dist"] + 1),
            "RABBITMQ_CTL_DIST_PORT_MAX": str(self.ports["dist"] + 10),
            "ERL_FLAGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            # no busy-waiting schedulers: this node shares a developer's machine
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "+sbwt none +sbwtdcpu none +sbwtdio none",
        }

    def ctl(self) -> list[str]:
        scripts = rabbit_scripts()
        if scripts is None:
            raise EngineError("RabbitMQ's scripts are not installed (scripts/system-packages.sh)")
        return [str(scripts / "rabbitmqctl"), "-n", self.node]

    def _prepare(self) -> None:
        b = self.base
        for d in (b, b / "home", self.log_dir, b / "mnesia"):
            d.mkdir(parents=True, exist_ok=True)
        (b / "home").chmod(0o700)
        cookie = b / "home" / ".erlang.cookie"
        if not cookie.exists():  # the node and our rabbitmqctl calls share it; nobody else can read it
            fd = os.open(cookie, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
            with os.fdopen(fd, "w") as f:
                f.write("".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(32)))
        (b / "rabbitmq-env.conf").write_text("# private node: settings come from the environment\n")
        (b / "enabled_plugins").write_text("[].\n")
        (b / "advanced.config").write_text("[].\n")
        (b / "rabbitmq.conf").write_text(
            "# private node for this checkout (libs/platform/engines.py); guest works on loopback only\n"
            "loopback_users.guest = true\nlog.file.level = info\nlog.console = false\n"
            "disk_free_limit.absolute = 50MB\n"
        )
        self.node = self._node_name()

    def start(self) -> None:
        scripts = rabbit_scripts()
        epmd = epmd_binary()
        if scripts is None or epmd is None:
            raise EngineError(
                "RabbitMQ's server is missing; run `make install` (Debian package `rabbitmq-server`) "
                "or set AMQP_URI"
            )
        self._prepare()
        kept = _load(self.state)
        if self._processes():
            amqp = kept.get("amqp", 0)
            if _claim(self.base) is False:  # another command of this checkout runs it (maybe still booting)
                self.ports = kept
                _wait(
                    lambda: port_open("127.0.0.1", amqp),
                    START_TIMEOUT,
                    "the private RabbitMQ started by another command did not answer",
                    self.log_dir / "startup.log",
                )
                return
            if port_open("127.0.0.1", amqp):  # left by a run that was killed: use it, stop it at the end
                self.ports, self.owned, self.adopted = kept, True, True
                return
            self._terminate()  # half of a node (a killed script, a lone epmd): start afresh
        self.ports = _ports(self.state, ("amqp", "dist", "epmd"))
        if self.ports["dist"] + 10 > 65535 or not all(
            _port_free(p) for p in range(self.ports["dist"] + 1, self.ports["dist"] + 11)
        ):
            self.ports["dist"] = free_port(set(self.ports.values()))
            self.state.write_text(json.dumps(self.ports))
        env = self.env()
        self.owned = True
        _own(self.base)
        # An epmd of our own, on a private loopback port, stopped with the node (the system's epmd, if any,
        # and its nodes never see this one).
        self.epmd = subprocess.Popen(
            [epmd, "-port", str(self.ports["epmd"]), "-address", "127.0.0.1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        (self.base / "epmd.pid").write_text(str(self.epmd.pid))
        _wait(
            lambda: port_open("127.0.0.1", self.ports["epmd"]),
            30,
            "the private epmd did not start",
            failed=lambda: self.epmd.poll() is not None,
        )
        out = open(self.log_dir / "startup.log", "ab")
        self.server = subprocess.Popen(
            [str(scripts / "rabbitmq-server")],
            env=env,
            cwd=self.base,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        out.close()
        (self.base / "server.pid").write_text(str(self.server.pid))

    def wait_ready(self) -> None:
        """Until the node accepts AMQP connections (its boot takes 5-40 s; callers do other work
        meanwhile)."""
        if self.server is None:
            return
        _wait(
            lambda: port_open("127.0.0.1", self.ports["amqp"]),
            START_TIMEOUT,
            "the private RabbitMQ did not start",
            self.log_dir / "startup.log",
            failed=lambda: self.server.poll() is not None,
        )

    def uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.ports['amqp']}/"

    def stop(self) -> None:
        if self.owned:
            self._terminate()

    def _processes(self) -> list[int]:
        return [
            p
            for p in (_read_pid(self.base / n) for n in ("rabbitmq.pid", "server.pid", "epmd.pid"))
            if p and _pid_alive(p)
        ]

    def _terminate(self) -> None:
        """Stop the node and its epmd, by their pid files (also when this process did not start them)."""
        # rabbitmq-server is a shell script that runs the Erlang VM (pid in rabbitmq.pid) and passes SIGTERM
        # on; the VM shuts down cleanly on SIGTERM. Signal the VM itself: the script may be gone (killed).
        script, vm = _read_pid(self.base / "server.pid"), _read_pid(self.base / "rabbitmq.pid")
        alive = lambda: [p for p in (script, vm) if p and _pid_alive(p)]  # noqa: E731
        for pid in alive()[-1:]:  # the VM when it runs, else the script
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while alive() and time.monotonic() < deadline:
            if self.server is not None:
                self.server.poll()  # reap it
            time.sleep(0.2)
        for pid in alive():
            os.kill(pid, signal.SIGKILL)
        if self.server is not None:
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                pass
        epmd = _read_pid(self.base / "epmd.pid")
        if epmd and _pid_alive(epmd):  # only once the node is gone (it would start another epmd otherwise)
            os.kill(epmd, signal.SIGTERM)
            if self.epmd is not None:
                try:
                    self.epmd.wait(10)
                except subprocess.TimeoutExpired:
                    self.epmd.kill()
            else:
                _wait(lambda: not _pid_alive(epmd), 10, "the private epmd did not stop")
        for name in ("server.pid", "rabbitmq.pid", "epmd.pid", "owner.pid"):
            (self.base / name).unlink(missing_ok=True)

    def pids(self) -> list[int]:
        return _rabbit_pids(self.base.parent)


# ------------------------------------------------------------------------------------------------------
# choice


@dataclass
class Engines:
    """What `make run` / the tests use: URLs, one-line descriptions with the logs, and how to stop what we
    started."""

    amqp_uri: str
    database_url: str
    broker: str
    database: str
    private: list = field(default_factory=list)

    def wait_ready(self) -> None:
        """Until every private engine started here answers (`resolve(..., wait=False)` returns before)."""
        try:
            for engine in self.private:
                engine.wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for engine in self.private:
            try:
                engine.stop()
            except Exception as exc:  # noqa: BLE001 - stopping the next one still matters
                print(f"warning: stopping {type(engine).__name__} failed: {exc}", flush=True)
        self.private = []


def _how(engine) -> str:
    if engine.adopted:
        return "left running by a run that was killed: stopped at the end"
    return "started here" if engine.owned else "already running for another command of this checkout"


def _mode() -> str | None:
    value = os.environ.get("HT_PRIVATE_ENGINES", "").strip().lower()
    return {"1": "on", "true": "on", "yes": "on", "0": "off", "false": "off", "no": "off"}.get(value)


def resolve(root: Path, wait: bool = True) -> Engines:
    """Choose (and when needed start) the broker and the database; a private one's URL goes into os.environ.

    With `wait=False` a private broker may still be booting on return: call `wait_ready()` before using it
    (the database is ready). Call `stop()` on the result when done. Also exports `HT_PRIVATE_RABBITMQ` while a
    private node is used, so `rabbitmqctl()` (vhosts) reaches it from this process and its children."""
    mode = _mode()
    base = run_dir(root)
    amqp = os.environ.get("AMQP_URI")
    db = os.environ.get("DATABASE_URL")
    db_name = urlparse(db or DEFAULT_DATABASE_URL).path.lstrip("/") or "hientruong"
    engines = Engines(amqp or DEFAULT_AMQP_URI, db or DEFAULT_DATABASE_URL, "", "")
    private_broker = mode == "on" or (mode is None and not amqp and not port_open("127.0.0.1", 5672))
    private_db = mode == "on" or (mode is None and not db and not port_open("127.0.0.1", 5432))
    try:
        if private_broker:  # launched first: its boot is the longest, the database starts meanwhile
            print(
                f"no broker configured or answering: a private RabbitMQ under {base / 'rabbitmq'}", flush=True
            )
            rabbit = PrivateRabbit(base / "rabbitmq")
            engines.private.append(rabbit)
            rabbit.start()
            engines.amqp_uri = rabbit.uri()
            os.environ[CTL_ENV] = json.dumps({"base": str(rabbit.base)})
            engines.broker = (
                f"private RabbitMQ 127.0.0.1:{rabbit.ports['amqp']} (node {rabbit.node}; "
                f"{_how(rabbit)}), logs {rabbit.log_dir}"
            )
        if private_db:
            print(
                f"no database configured or answering: a private PostgreSQL under {base / 'pg'}", flush=True
            )
            pg = PrivatePostgres(base / "pg")
            engines.private.append(pg)
            pg.start()
            engines.database_url = pg.url(db_name)
            engines.database = f"private PostgreSQL 127.0.0.1:{pg.port} ({pg.data}; {_how(pg)}), log {pg.log}"
        if wait:
            engines.wait_ready()
    except BaseException:
        engines.stop()
        raise
    if not private_db:
        url = urlparse(engines.database_url)
        engines.database = (
            f"{'configured' if db else 'local'} PostgreSQL {url.hostname}:{url.port or 5432} (its own logs)"
        )
    if not private_broker:
        url = urlparse(engines.amqp_uri)
        engines.broker = (
            f"{'configured' if amqp else 'local'} RabbitMQ {url.hostname}:{url.port or 5672} (its own logs)"
        )
        os.environ.pop(CTL_ENV, None)
    if private_broker:
        os.environ["AMQP_URI"] = engines.amqp_uri
    if private_db:
        os.environ["DATABASE_URL"] = engines.database_url
    return engines


def for_tests(root: Path) -> Engines:
    """At the start of a test session: the same choice as `make run`'s; private engines stop when it ends."""
    import atexit

    used = resolve(root)
    if used.private:
        print(f"\nprivate engines for this test session: {used.broker}; {used.database}", flush=True)
    atexit.register(used.stop)
    return used


def tool_database_url(root: Path) -> str:
    """DATABASE_URL for the commands run beside `make run` (`make admin`, `make migrate`, `make backup`...)
    when it is not set: the local default when it answers, else the private cluster of this checkout when it
    runs."""
    if _mode() != "on" and port_open("127.0.0.1", 5432):
        return DEFAULT_DATABASE_URL
    port = _postmaster_port(run_dir(root) / "pg" / "data")
    return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/hientruong" if port else DEFAULT_DATABASE_URL


def rabbitmqctl() -> tuple[list[str], dict[str, str]] | None:
    """The command and environment of `rabbitmqctl` for the broker in use (private node or the system's)."""
    private = os.environ.get(CTL_ENV)
    if private:
        rabbit = PrivateRabbit(Path(json.loads(private)["base"]))
        rabbit.ports = _load(rabbit.state)
        rabbit.node = rabbit._node_name()
        return rabbit.ctl(), rabbit.env()
    ctl = shutil.which("rabbitmqctl")
    return ([ctl], dict(os.environ)) if ctl else None


def leftover_processes(base: Path, pids_only: bool = False) -> list:
    """Processes still alive that belong to the run directory `base`: the private engines' pid files, and a
    scan of /proc for a command line naming `base` or an environment with `HT_RUN_DIR=<base>` (every process
    `make run` starts inherits it). Descriptions, or only the pids."""
    found = {p: "pid file" for p in (*PrivatePostgres(base / "pg").pids(), *_rabbit_pids(base))}
    needle, marker = str(base).encode(), f"HT_RUN_DIR={base}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if (needle in cmdline or marker in environ) and _pid_alive(int(proc.name)):
            found[int(proc.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")[:200]
    return sorted(found) if pids_only else [f"pid {pid}: {what}" for pid, what in sorted(found.items())]


def _rabbit_pids(base: Path) -> list[int]:
    b = base / "rabbitmq"
    pids = {_read_pid(b / name) for name in ("server.pid", "rabbitmq.pid", "epmd.pid")}
    return sorted(p for p in pids if p and _pid_alive(p))
