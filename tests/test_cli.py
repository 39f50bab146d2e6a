"""kioskctl: each command works, and bad input gives one line, a non-zero exit, no traceback."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from kioskctl import main
from attestation.timeutil import local_today

from factories import people


@pytest.fixture
def run(db_url):
    runner = CliRunner()

    def _run(*args, input=None):
        result = runner.invoke(main, ["--database-url", db_url, *args], input=input)
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result
    return _run


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def err(result, code=2):
    assert result.exit_code == code, result.output
    return result.output


def test_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "kioskctl", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for name in ("db", "venue", "sitting", "roster", "cabinet", "cell", "user", "kiosk", "audit"):
        assert f"  {name} " in out


def test_setup_a_sitting_end_to_end(run, tmp_path):
    ok(run("db", "upgrade"))
    ok(run("venue", "add", "--code", "ALA", "--name-kk", "Алматы", "--name-ru", "Алматы"))
    out = ok(run("sitting", "add", "--venue", "ALA", "--date", str(local_today()), "--start",
                 "09:30", "--stage", "Әңгімелесу|Собеседование|40", "--open"))
    assert "(open)" in out
    roster = tmp_path / "roster.csv"
    roster.write_text("iin,last_name,first_name,middle_name,organization,position\n" + "".join(
        f"{p['iin']},{p['last_name']},{p['first_name']},,ЦСО,соцработник\n" for p in people(3)),
        encoding="utf-8")
    assert "imported 3" in ok(run("roster", "import", str(roster), "--sitting", "1"))
    assert "16 cells" in ok(run("cabinet", "add", "cab-A", "--venue", "ALA", "--driver",
                                "rs485-8a", "--port", "/dev/ttyUSB0", "--boards", "2", "--locks", "8"))
    ok(run("cell", "add", "--cabinet", "cab-A", "--number", "17", "--board", "3", "--lock", "1"))
    assert "--venue" in err(run("user", "add", "sec1", "--role", "secretary", "--password-stdin",
                                input="correct horse battery\n"))
    ok(run("user", "add", "sec1", "--role", "secretary", "--venue", "ALA", "--password-stdin",
           input="correct horse battery\n"))
    assert "ALA" in ok(run("user", "venues", "sec1"))
    assert "no venue" in ok(run("user", "venues", "sec1", "--remove", "ALA"))
    assert "every venue" in ok(run("user", "venues", "sec1", "--all"))
    out = ok(run("kiosk", "add", "entrance-1", "--venue", "ALA", "--cabinet", "cab-A"))
    assert "kiosk_" in out
    assert "intact" in ok(run("audit", "verify"))


def test_bad_input_is_one_clear_line(run, tmp_path):
    ok(run("db", "upgrade"))
    ok(run("venue", "add", "--code", "ALA", "--name-kk", "Алматы", "--name-ru", "Алматы"))
    assert "no venue" in err(run("sitting", "add", "--venue", "X", "--date", "2026-01-01",
                                 "--start", "09:00"))
    assert "YYYY-MM-DD" in err(run("sitting", "add", "--venue", "ALA", "--date", "01.01.2026",
                                   "--start", "09:00"))
    assert "minutes" in err(run("sitting", "add", "--venue", "ALA", "--date", "2026-01-01",
                                "--start", "09:00", "--stage", "a|b|zero"))
    assert "no sitting 9" in err(run("sitting", "open", "9"))
    assert "already exists" in err(run("venue", "add", "--code", "ALA", "--name-kk", "a",
                                       "--name-ru", "b"))
    ok(run("sitting", "add", "--venue", "ALA", "--date", "2026-01-01", "--start", "09:00"))
    bad = tmp_path / "bad.csv"
    bad.write_text("iin,last_name,first_name\n123,Ә,Б\n", encoding="utf-8")
    out = err(run("roster", "import", str(bad), "--sitting", "1"))
    assert "line 2" in out and "nothing imported" in out
    assert "cannot read" in err(run("roster", "import", str(tmp_path / "nope.csv"), "--sitting", "1"))
    assert "at least" in err(run("user", "add", "u1", "--role", "member", "--password-stdin",
                                 input="short\n"))
    assert "is not one of" in err(run("user", "add", "u1", "--role", "king", "--password-stdin",
                                       input="long enough password\n"))
    assert "--port" in err(run("cabinet", "add", "c", "--venue", "ALA", "--driver", "kerong"))
    ok(run("cabinet", "add", "c", "--venue", "ALA", "--driver", "kerong", "--port", "loop://",
           "--boards", "1", "--locks", "4"))
    assert "already has cell 1" in err(run("cell", "add", "--cabinet", "c", "--number", "1",
                                           "--board", "0", "--lock", "9"))
    assert "no cabinet" in err(run("cell", "add", "--cabinet", "zz", "--number", "1",
                                   "--board", "0", "--lock", "9"))


def test_unmigrated_database_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["--database-url", f"sqlite:///{tmp_path}/empty.db",
                                       "venue", "add", "--code", "A", "--name-kk", "a",
                                       "--name-ru", "b"])
    assert result.exit_code == 1 and "kioskctl db upgrade" in result.output


def test_audit_verify_reports_broken_link(run, db_url):
    import sqlalchemy as sa
    ok(run("db", "upgrade"))
    ok(run("venue", "add", "--code", "ALA", "--name-kk", "Алматы", "--name-ru", "Алматы"))
    ok(run("venue", "add", "--code", "AST", "--name-kk", "Астана", "--name-ru", "Астана"))
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        conn.exec_driver_sql("UPDATE audit_log SET actor = 'x' WHERE id = 1")
    engine.dispose()
    out = err(run("audit", "verify"), code=3)
    assert "triggers" in out and "dropped" in out
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                                 "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER USER")
    engine.dispose()
    out = err(run("audit", "verify"), code=3)
    assert "broken at entry 1" in out


def test_decision_lists_are_configurable(run):
    ok(run("db", "upgrade"))
    out = ok(run("decisions", "list"))
    assert "assign_category" in out and "highest" in out
    ok(run("decisions", "add-outcome", "postponed_by_commission", "--name-kk", "Кейінге қалдырылды",
           "--name-ru", "Отложено комиссией", "--not-attested"))
    ok(run("decisions", "add-category", "without", "--name-kk", "Санатсыз", "--name-ru", "Без категории"))
    assert "already exists" in err(run("decisions", "add-category", "without", "--name-kk", "a",
                                       "--name-ru", "b"))
    ok(run("decisions", "disable", "second"))
    out = ok(run("decisions", "list"))
    assert "postponed_by_commission" in out and "(disabled) Вторая категория" in out
    assert "no outcome or category" in err(run("decisions", "disable", "nope"))


def test_audit_key_checkpoints_and_printed_heads(run, db_url, tmp_path, monkeypatch):
    key = tmp_path / "etc" / "audit.key"
    assert "written" in ok(run("audit", "keygen", str(key)))
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert "never replaced" in err(run("audit", "keygen", str(key)))
    cp = tmp_path / "checkpoints.jsonl"
    monkeypatch.setenv("ATTESTATION_AUDIT_KEY_FILE", str(key))
    monkeypatch.setenv("ATTESTATION_AUDIT_CHECKPOINT_FILE", str(cp))
    ok(run("db", "upgrade"))
    ok(run("venue", "add", "--code", "ALA", "--name-kk", "Алматы", "--name-ru", "Алматы"))
    printed = ok(run("audit", "checkpoint")).split()[0]
    out = run("audit", "verify")
    assert "intact: 1 entries, signed from entry 1" in out.output and "checkpoints matched" in out.output
    assert "warning" not in out.output
    assert "intact" in ok(run("audit", "verify", "--printed", printed))
    assert "ID:HASH" in err(run("audit", "verify", "--printed", "garbage"))
    wrong = printed.split(":")[0] + ":" + "0" * 16
    assert "checkpoint" in err(run("audit", "verify", "--printed", wrong), code=3)
    assert "cannot be read" in err(run("audit", "verify", "--key-file", str(cp)))


def test_users_and_kiosks_are_administered_without_sql(run, db_url):
    from attestation import accounts
    from attestation.db import Database
    ok(run("venue", "add", "--code", "ALA", "--name-kk", "Алматы", "--name-ru", "Алматы"))
    ok(run("user", "add", "boss", "--role", "admin", "--all-venues", "--password-stdin",
           input="admin-password-1\n"))
    ok(run("user", "add", "aigerim", "--role", "secretary", "--venue", "ALA", "--password-stdin",
           input="first-password-1\n"))
    listed = ok(run("user", "list"))
    assert "aigerim" in listed and "secretary" in listed and "active" in listed
    assert "is now chair" in ok(run("user", "role", "aigerim", "chair"))
    assert "is not one of" in err(run("user", "role", "aigerim", "king"))
    ok(run("user", "passwd", "aigerim", "--password-stdin", input="second-password-2\n"))
    assert "at least" in err(run("user", "passwd", "aigerim", "--password-stdin", input="short\n"))
    db = Database(db_url)
    with db.read() as s:
        u = accounts.user_by_name(s, "aigerim")
        assert u.role == "chair" and accounts.check_password(u, "second-password-2")
    ok(run("user", "disable", "aigerim"))
    assert "disabled" in ok(run("user", "list")).split("aigerim")[1].splitlines()[0]
    with db.read() as s:
        assert not accounts.check_password(accounts.user_by_name(s, "aigerim"), "second-password-2")
    ok(run("user", "enable", "aigerim"))
    # the last active administrator is neither disabled nor demoted
    assert "last active administrator" in err(run("user", "disable", "boss"))
    assert "last active administrator" in err(run("user", "role", "boss", "member"))
    assert "no app_user" in err(run("user", "disable", "nobody"))
    # kiosks: list, revoke, rotate; the old token stops working at once
    first = ok(run("kiosk", "add", "entrance-1", "--venue", "ALA")).strip().splitlines()[-1]
    assert "entrance-1" in ok(run("kiosk", "list")) and "active" in ok(run("kiosk", "list"))
    ok(run("kiosk", "revoke", "entrance-1"))
    assert "revoked" in ok(run("kiosk", "list"))
    with db.read() as s:
        assert accounts.kiosk_by_token(s, first) is None
    second = ok(run("kiosk", "rotate", "entrance-1")).strip().splitlines()[-1]
    with db.read() as s:
        assert accounts.kiosk_by_token(s, first) is None
        assert accounts.kiosk_by_token(s, second).name == "entrance-1"
    db.dispose()


def test_every_command_is_found_by_the_lazy_top_group():
    import importlib
    import pkgutil

    import kioskctl
    from kioskctl.base import COMMAND_MODULES, main
    for module in pkgutil.iter_modules(kioskctl.__path__):
        if module.name != "__main__":
            importlib.import_module(f"kioskctl.{module.name}")
    assert set(main.commands) == set(COMMAND_MODULES)
    for name, command in main.commands.items():
        assert command.callback.__module__ == f"kioskctl.{COMMAND_MODULES[name]}", name


def test_a_service_loads_only_what_it_runs():
    """The agent and the kiosk start without the panel's PDF and spreadsheet libraries, the
    camera decoder or the migrations: memory and start-up time on the Pi (README figures)."""
    import subprocess
    import sys
    probe = ("import sys, click; from kioskctl import main; "
             "serve = main.get_command(click.Context(main), 'serve'); "
             "import agent.cabinet_agent, kiosk; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & "
             "{'web', 'fpdf', 'openpyxl', 'zxingcpp', 'PIL', 'numpy', 'alembic', 'bench', 'cv2'}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
