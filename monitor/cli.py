"""The `drifthound` command line: argument parsing only; the work is in monitor.commands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from monitor import __version__, redaction
from monitor.errors import DriftHoundError

TIME_HELP = "ISO 8601 with a timezone, e.g. 2026-11-22T06:00:00Z"
CONFIG_HELP = "config file (default: $DRIFTHOUND_CONFIG, else ./config.toml); before or after the command"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for configuration errors
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="drifthound", description="Watch ML models in production: drift, quality, alerts.")
    parser.add_argument("--version", action="version", version=f"drifthound {__version__}")
    parser.add_argument("-c", "--config", metavar="FILE", help=CONFIG_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    def config_option(command: argparse.ArgumentParser) -> None:
        # SUPPRESS: not given after the subcommand keeps what was given before it (`drifthound -c FILE status`).
        command.add_argument("-c", "--config", metavar="FILE", default=argparse.SUPPRESS, help=CONFIG_HELP)

    demo = commands.add_parser("demo", help="write a demo SQLite prediction log (with drift injected) and its config")
    demo.add_argument("--dir", default=".", help="where to write predictions.db and config.toml (default: .)")
    demo.add_argument("--force", action="store_true", help="overwrite a config.toml that is not the demo's")

    run = commands.add_parser("run", help="the daemon, in the foreground (what systemd runs)")
    config_option(run)

    check = commands.add_parser("check", help="evaluate the latest complete window (or the one ending at --at) now")
    config_option(check)
    check.add_argument("-m", "--monitor", metavar="NAME", help="only this monitor (default: all)")
    check.add_argument("--at", metavar="TIME", help=f"the window's end; {TIME_HELP}")
    check.add_argument("--force", action="store_true", help="evaluate again a window that already has a result")
    check.add_argument("-v", "--verbose", action="store_true", help="log each step")

    backfill = commands.add_parser("backfill", help="evaluate every window in a range")
    config_option(backfill)
    backfill.add_argument("-m", "--monitor", metavar="NAME", required=True)
    backfill.add_argument("--start", metavar="TIME", required=True, help=TIME_HELP)
    backfill.add_argument("--end", metavar="TIME", required=True, help=TIME_HELP)
    backfill.add_argument("--no-notify", action="store_true", help="store results without sending notifications")
    backfill.add_argument("--force", action="store_true", help="evaluate again windows that already have a result")
    backfill.add_argument("-v", "--verbose", action="store_true")

    status = commands.add_parser("status", help="monitors, last runs, what drifted")
    config_option(status)

    metrics = commands.add_parser("metrics", help="print stored figures")
    config_option(metrics)
    metrics.add_argument("-m", "--monitor", metavar="NAME", required=True)
    metrics.add_argument(
        "--since", metavar="TIME", help=f"only windows ending after TIME ({TIME_HELP}) or a duration ago: 1d, 6h, 30m"
    )
    metrics.add_argument("--metric", metavar="NAME", help="only this metric, e.g. drift.share")
    metrics.add_argument(
        "--segment", metavar="S", help='only this segment, e.g. region=north ("" for the whole window)'
    )
    metrics.add_argument("--column", metavar="NAME", help="only this column ('' for dataset figures)")
    metrics.add_argument("--format", choices=("csv", "json"), default="csv")

    db = commands.add_parser("db", help="the store's schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND", parser_class=_Parser)
    upgrade = db_commands.add_parser("upgrade", help="migrate the store to the newest schema")
    config_option(upgrade)

    config = commands.add_parser("config", help="the configuration file")
    config_commands = config.add_subparsers(
        dest="config_command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    config_check = config_commands.add_parser("check", help="validate, resolve ${ENV}, test every connection")
    config_option(config_check)
    alerts = commands.add_parser("alerts", help="notifications: test a channel, silence a monitor")
    alert_commands = alerts.add_subparsers(
        dest="alerts_command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    test = alert_commands.add_parser("test", help="send a test notification through one channel")
    config_option(test)
    test.add_argument("--channel", metavar="NAME", required=True)
    silence = alert_commands.add_parser("silence", help="stop notifications of a monitor (or one rule) for a while")
    config_option(silence)
    silence.add_argument("-m", "--monitor", metavar="NAME", required=True)
    silence.add_argument("--rule", metavar="NAME", help="only this rule (default: every rule of the monitor)")
    silence.add_argument("--for", dest="duration", metavar="DURATION", required=True, help='e.g. "2h"')
    silence.add_argument("--reason", required=True, help="why; shown in status")
    unsilence = alert_commands.add_parser("unsilence", help="end a monitor's silences (or one rule's)")
    config_option(unsilence)
    unsilence.add_argument("-m", "--monitor", metavar="NAME", required=True)
    unsilence.add_argument("--rule", metavar="NAME")
    rules = commands.add_parser("rules", help="alert rules: try them on stored figures")
    rules_commands = rules.add_subparsers(dest="rules_command", required=True, metavar="COMMAND", parser_class=_Parser)
    rules_test = rules_commands.add_parser(
        "test",
        help="replay stored figures through the file's rules (new or changed ones too), with the live lifecycle; "
        "print when each alert would have fired and resolved, and the notifications",
    )
    config_option(rules_test)
    rules_test.add_argument("-m", "--monitor", metavar="NAME", help="only this monitor (default: all)")
    rules_test.add_argument(
        "--since", metavar="TIME", help=f"windows ending after TIME ({TIME_HELP}) or a duration ago: 30d (default)"
    )
    init = commands.add_parser(
        "init", help="write a monitor for a table: roles with reasons, window, reference, rules (reads a sample)"
    )
    init.add_argument("--source", metavar="URL", required=True, help="SQLAlchemy URL; ${ENV} is read from the env")
    relation = init.add_mutually_exclusive_group(required=True)
    relation.add_argument("--table", metavar="T", help='the prediction log ("schema.table" works)')
    relation.add_argument("--query", metavar="Q", help="or a read-only SELECT giving it")
    init.add_argument("--timestamp", metavar="COL", help="the column timing each row (default: found in a sample)")
    init.add_argument("-o", "--output", metavar="FILE", help="write there (default: stdout)")
    init.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = _dispatch(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        return _pipe_closed()
    except DriftHoundError as error:
        print(f"drifthound: error: {redaction.redact(str(error))}", file=sys.stderr)
        return error.exit_code
    except Exception as error:
        from sqlalchemy.exc import DBAPIError

        if not isinstance(error, DBAPIError):
            raise
        # The store (or a database) does not answer: one line, not a traceback; systemd restarts us.
        reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else error.__class__.__name__
        print(
            f"drifthound: error: the database does not answer ({redaction.redact(reason)}); check store_url and "
            "that the server is up",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("drifthound: interrupted", file=sys.stderr)
        return 130


# What a shell reports for a command killed by SIGPIPE (128 + 13), as `yes | head` ends.
PIPE_CLOSED_EXIT = 141


def _pipe_closed() -> int:
    """The reader went away (`drifthound metrics ... | head`): stop quietly, as Unix tools do.

    What is still buffered for stdout would raise again when Python flushes it at exit, so stdout
    is pointed at /dev/null first.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return PIPE_CLOSED_EXIT


def _dispatch(args: argparse.Namespace) -> int:
    """Each command imports only what it runs: a config error or `status` answers in a fraction of a second,
    not after loading the statistics (scipy, pandas) that evaluation needs."""
    if args.command == "demo":
        from monitor.commands import admin

        return admin.demo(args.dir, force=args.force)
    if args.command == "run":
        from monitor.commands.context import config_path
        from monitor.service.daemon import exit_now, run

        exit_now(run(config_path(args.config)))
    if args.command == "check":
        from monitor.commands import evaluate

        return evaluate.check(args.config, args.monitor, args.at, force=args.force, verbose=args.verbose)
    if args.command == "backfill":
        from monitor.commands import evaluate

        return evaluate.backfill(
            args.config,
            args.monitor,
            args.start,
            args.end,
            force=args.force,
            notify=not args.no_notify,
            verbose=args.verbose,
        )
    if args.command == "status":
        from monitor.commands import status

        return status.status(args.config)
    if args.command == "metrics":
        from monitor.commands import metrics

        return metrics.metrics(
            args.config,
            args.monitor,
            since=args.since,
            metric=args.metric,
            column=args.column,
            segment=args.segment,
            output=args.format,
        )
    if args.command == "db":
        from monitor.commands import admin

        return admin.db_upgrade(args.config)
    if args.command == "config":
        from monitor.commands import admin

        return admin.config_check(args.config)
    if args.command == "alerts":
        from monitor.commands import alerting

        if args.alerts_command == "test":
            return alerting.test_channel(args.config, args.channel)
        if args.alerts_command == "silence":
            return alerting.silence(args.config, args.monitor, args.rule, args.duration, args.reason)
        return alerting.unsilence(args.config, args.monitor, args.rule)
    if args.command == "init":
        from monitor.commands.init import init

        return init(
            args.source,
            table=args.table,
            query=args.query,
            timestamp=args.timestamp,
            output=args.output,
            force=args.force,
        )
    if args.command == "rules":
        from monitor.commands import rules

        return rules.rules_test(args.config, args.monitor, args.since)
    raise AssertionError(args.command)


def entry() -> None:
    sys.exit(main())
