"""What a run may write, and how it claims it.

- One writer at a time: a run holds an OS lock on `<target>.lock` (released by the kernel
  if the run is killed) before it does any work; a second writer is refused at once.
- Only what the project made is replaced: `--db` must be missing, an empty DuckDB file or
  a warehouse of ours (raw.users and raw.events), not held by another DuckDB process; an
  export folder must be missing, empty or a previous export of ours holding nothing but
  what its manifest lists.
- Scratch files carry a name unique to the run beside their target, so the run after a
  killed one (which gets the lock, so knows the owner is gone) removes them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

EXPORT_MANIFEST = "proving_ground_export.json"
DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file
OUR_TABLES = {("raw", "users"), ("raw", "events")}


class OutputError(Exception):
    """An output this run may not write (one line naming the path and why)."""


class Conflict(OutputError):
    """Another writer holds the target, or changed it while the run was writing."""


def run_token() -> str:
    """Unique to this run: names its scratch files."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def _scratch_pattern(target: Path) -> re.Pattern[str]:
    """Names of a run's scratch beside `target`: `<name>.tmp[-<token>][.wal]`,
    `<name>.spool-<token>`, `<name>.old-<token>`."""
    name = re.escape(target.name)
    return re.compile(
        rf"^{name}\.(tmp(-\d+-[0-9a-f]{{8}})?(\.wal)?|(spool|old)-\d+-[0-9a-f]{{8}})$"
    )


# -- signals -------------------------------------------------------------------------------------
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class Stop:
    """The signal that stopped a run, if one did (DuckDB may turn the exception raised
    inside a query into its own "interrupted" error: this keeps what happened)."""

    signum: int = 0


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[Stop]:
    """SIGINT and SIGTERM raise KeyboardInterrupt in the main process and are recorded in
    the Stop yielded; a second one, during the clean-up that follows, is ignored."""
    stop = Stop()

    def handler(signum: int, _frame: object) -> None:
        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        stop.signum = signum
        raise KeyboardInterrupt(signal.Signals(signum).name)

    # a signal ignored when the run started (a background job's SIGINT) stays ignored
    watched = [s for s in STOP_SIGNALS if signal.getsignal(s) is not signal.SIG_IGN]
    previous = {s: signal.signal(s, handler) for s in watched}
    try:
        yield stop
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done; one that came meanwhile is dropped,
    since what it would have stopped is complete."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        while signal.sigtimedwait(STOP_SIGNALS, 0) is not None:
            pass
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


# -- one writer at a time ------------------------------------------------------------------------
class Lock:
    """An exclusive lock on `<target>.lock`, holding the owner's pid. A POSIX record lock:
    the kernel releases it when its owner dies, so a stale lock file never blocks anyone,
    and forked worker processes do not share it."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.path = target.with_name(target.name + ".lock")
        self.fd: int | None = None

    def acquire(self) -> Lock:
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            except OSError as exc:
                raise OutputError(f"{self.path}: cannot create the lock ({exc.strerror})") from None
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise Conflict(
                    f"{self.target}: another run (pid {holder}) is writing it; "
                    "wait for it to finish"
                ) from None
            # A finishing run unlinks its lock file: make sure ours is still the one there.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        previous_owner = os.read(fd, 64).decode(errors="replace").strip()
        if not re.fullmatch(r"\d*", previous_owner):  # not a lock file of ours
            fcntl.lockf(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise OutputError(f"{self.path}: exists and is not a lock of Proving Ground's")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        fcntl.lockf(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def sweep(target: Path) -> list[Path]:
    """Remove what a stopped run left beside `target` (call holding its lock: no live run
    owns them). An export folder a killed run had moved aside is put back."""
    pattern = _scratch_pattern(target)
    removed: list[Path] = []
    if not target.parent.is_dir():
        return removed
    for entry in sorted(target.parent.iterdir()):
        if not pattern.match(entry.name):
            continue
        if entry.name.startswith(f"{target.name}.old-") and not target.exists():
            entry.rename(target)  # killed between moving the old export aside and the swap
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
        removed.append(entry)
    return removed


# -- the warehouse -------------------------------------------------------------------------------
def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _holder(message: str) -> str:
    found = re.search(r"PID (\d+)", message)
    return f"pid {found.group(1)}" if found else "another process"


def open_read_only(db: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a warehouse, for the commands that read one: a missing
    file, a folder, a file that is not DuckDB or one another process writes is refused in
    one line (OutputError)."""
    db = Path(db)
    if not db.exists():
        raise OutputError(f"{db}: no such warehouse (make build writes one)")
    if not db.is_file():
        raise OutputError(f"{db}: not a DuckDB file")
    return _open_read_only(db)


def _open_read_only(db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection; a file another process writes is refused with its holder."""
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        message = str(exc)
        if "lock" in message.lower():
            raise Conflict(
                f"{db}: in use by {_holder(message)} (dbt, a notebook?); close it first"
            ) from None
        first = message.splitlines()[0] if message else type(exc).__name__
        raise OutputError(f"{db}: not a DuckDB database this DuckDB can open ({first})") from None


def _exists(path: Path, kind: str) -> bool:
    """Whether an output path exists; a symbolic link, or a file standing where a folder
    above it should be, is refused."""
    if path.is_symlink():
        raise OutputError(f"{path}: a symbolic link (to {os.readlink(path)}); give a {kind} path")
    if path.exists():
        return True
    if any(p.exists() and not p.is_dir() for p in path.parents):
        raise OutputError(f"{path}: a file stands where a folder above it should be")
    return False


def check_warehouse(db: Path, scenario_path: Path | None = None) -> None:
    """`db` may be written: missing, an empty DuckDB file or a warehouse of ours, with no
    other process writing it."""
    if str(db) == "":
        raise OutputError("--db: an empty path")
    if scenario_path is not None and _same_file(db, scenario_path):
        raise OutputError(f"{db}: is the scenario file; choose another --db")
    if not _exists(db, "file"):
        return
    mode = db.stat().st_mode
    if stat.S_ISDIR(mode):
        raise OutputError(f"{db}: a folder, not a DuckDB file")
    if not stat.S_ISREG(mode):
        raise OutputError(f"{db}: not a regular file")
    with db.open("rb") as f:
        header = f.read(12)
    if header[8:12] != DUCKDB_MAGIC:
        raise OutputError(f"{db}: exists and is not a DuckDB database; choose another --db")
    con = _open_read_only(db)
    try:
        tables = set(
            con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = current_database()"
            ).fetchall()
        )
    finally:
        con.close()
    if tables and not OUR_TABLES <= tables:
        raise OutputError(
            f"{db}: a DuckDB database that is not a Proving Ground warehouse "
            "(no raw.users and raw.events); choose another --db"
        )


def file_state(path: Path) -> tuple[int, int, int] | None:
    """What identifies a file's version: inode, size and modification time."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


# -- the export of raw tables ------------------------------------------------------------------
def _listing(folder: Path) -> set[str]:
    """Every file and folder under `folder`, as POSIX paths relative to it."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def check_export(folder: Path, db: Path | None) -> None:
    """`folder` may be replaced: missing, empty, or a previous export of ours holding only
    what its manifest lists."""
    if str(folder) == "":
        raise OutputError("an empty folder path")
    resolved = folder.resolve()
    if resolved == Path.cwd().resolve() or resolved in Path.cwd().resolve().parents:
        raise OutputError(f"{folder}: the current folder or one above it; give a folder of its own")
    if db is not None and (resolved == db.resolve() or resolved in db.resolve().parents):
        raise OutputError(f"{folder}: holds the warehouse {db}; give a folder of its own")
    if not _exists(folder, "folder"):
        return
    if not folder.is_dir():
        raise OutputError(f"{folder}: exists and is not a folder")
    present = _listing(folder)
    if not present:
        return
    manifest = folder / EXPORT_MANIFEST
    try:
        listed = set(json.loads(manifest.read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        raise OutputError(
            f"{folder}: not an export of Proving Ground (no {EXPORT_MANIFEST}); "
            "it is left as it is: choose an empty or new folder"
        ) from None
    allowed = listed | {EXPORT_MANIFEST}
    allowed |= {p.as_posix() for f in listed for p in Path(f).parents if p != Path(".")}
    foreign = sorted(present - allowed)
    if foreign:
        raise OutputError(
            f"{folder}: holds {foreign[0]}, which an export did not write; "
            "it is left as it is: move it or choose another folder"
        )


def write_manifest(folder: Path, about: dict) -> None:
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    (folder / EXPORT_MANIFEST).write_text(json.dumps({**about, "files": files}, indent=1))


def write_atomically(out: Path, write: Callable[[Path], object]) -> None:
    """Write a file through a scratch file beside it (`write` fills the path it is given),
    then swap it in, so a reader never sees half a file; OutputError names what failed."""
    staging = out.with_name(f"{out.name}.tmp-{run_token()}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write(staging)
        os.replace(staging, out)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise OutputError(f"{out}: cannot write ({exc.strerror})") from None


def swap_folder(staging: Path, target: Path, token: str) -> None:
    """Put `staging` in place of `target` (checked to be ours), removing the old one."""
    old = target.with_name(f"{target.name}.old-{token}")
    if target.exists():
        os.rename(target, old)
    os.rename(staging, target)
    if old.exists():
        shutil.rmtree(old)


# -- a run's claim on its outputs ----------------------------------------------------------------
@dataclass
class Claim:
    """The outputs of one run, checked and locked, with the run's scratch names."""

    db: Path
    export: Path | None
    token: str = field(default_factory=run_token)
    locks: list[Lock] = field(default_factory=list)
    swept: list[Path] = field(default_factory=list)
    db_state: tuple[int, int, int] | None = None

    @property
    def scratch_db(self) -> Path:
        return self.db.with_name(f"{self.db.name}.tmp-{self.token}")

    @property
    def spool_dir(self) -> Path:
        return self.db.with_name(f"{self.db.name}.spool-{self.token}")

    @property
    def export_staging(self) -> Path:
        export = self.export
        assert export is not None
        return export.with_name(f"{export.name}.tmp-{self.token}")

    def remove_scratch(self) -> None:
        for path in (self.scratch_db, self.scratch_db.with_name(self.scratch_db.name + ".wal")):
            path.unlink(missing_ok=True)
        for folder in (self.spool_dir, self.export_staging if self.export else None):
            if folder is not None and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)

    def check_unchanged(self) -> None:
        """Before the swap: nothing replaced or wrote the warehouse meanwhile, and no other
        process holds it now."""
        if file_state(self.db) != self.db_state:
            raise Conflict(
                f"{self.db}: changed by another program while this run was writing; "
                "it is left as that program made it"
            )
        if self.db.exists():
            _open_read_only(self.db).close()


@contextlib.contextmanager
def claim(
    db: str | Path, export: str | Path | None = None, scenario_path: str | Path | None = None
) -> Iterator[Claim]:
    """Check and lock a run's outputs, sweep what a stopped run left, and on the way out
    remove this run's scratch and release the locks."""
    run = Claim(Path(db), Path(export) if export is not None else None)
    scenario = Path(scenario_path) if scenario_path is not None else None

    def check() -> None:
        check_warehouse(run.db, scenario)
        if run.export is not None:
            check_export(run.export, run.db)

    check()  # before anything is created beside the outputs
    try:
        for target in [run.db] + ([run.export] if run.export is not None else []):
            target.parent.mkdir(parents=True, exist_ok=True)
            run.locks.append(Lock(target).acquire())
            run.swept += sweep(target)
        check()  # again under the lock: another run may have written them meanwhile
        run.db_state = file_state(run.db)
        yield run
    finally:
        run.remove_scratch()
        for lock in reversed(run.locks):
            lock.release()


@dataclass
class FolderClaim:
    """A run that writes a folder of files (a lake of Parquet) instead of a warehouse."""

    folder: Path
    token: str = field(default_factory=run_token)
    swept: list[Path] = field(default_factory=list)

    @property
    def staging(self) -> Path:
        return self.folder.with_name(f"{self.folder.name}.tmp-{self.token}")

    def commit(self, about: dict) -> None:
        """List the files in the manifest and swap the staging folder in."""
        write_manifest(self.staging, about)
        with signals_held():
            swap_folder(self.staging, self.folder, self.token)


@contextlib.contextmanager
def claim_folder(folder: str | Path) -> Iterator[FolderClaim]:
    """Check and lock a folder a run replaces (missing, empty or written by an earlier
    run, as an export), sweep what a stopped run left, and on the way out remove the
    staging folder and release the lock."""
    run = FolderClaim(Path(folder))
    check_export(run.folder, None)
    lock = None
    try:
        run.folder.parent.mkdir(parents=True, exist_ok=True)
        lock = Lock(run.folder).acquire()
        run.swept = sweep(run.folder)
        check_export(run.folder, None)
        yield run
    finally:
        if run.staging.is_dir():
            shutil.rmtree(run.staging, ignore_errors=True)
        if lock is not None:
            lock.release()
