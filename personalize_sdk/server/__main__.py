"""``python -m personalize_sdk.server``: serve the local Personalize over HTTP.

    python -m personalize_sdk.server --path var/personalize --s3-root var/s3 --port 8900
    python -m personalize_sdk.server --config personalize-local.json \\
        --access-key AKIDLOCAL:secret --fault-rate 0.1 --fault-seed 7

Command-line settings override those of ``--config``. Run with ``--help``
for the list.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from typing import Any, Sequence

from ..exceptions import ConfigurationError
from .app import PersonalizeServer
from .config import FAULT_KINDS, ServerConfig
from .runner import make_wsgi_server


def _pairs(values: Sequence[str] | None, sep: str, option: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for value in values or ():
        name, found, rest = value.partition(sep)
        if not found or not name or not rest:
            raise ConfigurationError(f"{option} takes NAME{sep}VALUE, not {value!r}")
        result[name] = rest
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m personalize_sdk.server",
        description="Serve Amazon Personalize's control plane, events and runtime APIs "
        "over the local engine.",
    )
    parser.add_argument("--path", help="directory of the local engine's data (default: in memory)")
    parser.add_argument(
        "--s3-root",
        help="folder standing for S3: s3://bucket/key is S3_ROOT/bucket/key "
        "(import, export and batch jobs read and write there)",
    )
    parser.add_argument(
        "--no-control-plane",
        action="store_true",
        help="serve only events and runtime (the control plane needs botocore)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8900, help="port to bind, 0 for any free one (default: 8900)"
    )
    parser.add_argument(
        "--config", help="JSON file of server settings (see docs/local-personalize.rst)"
    )
    parser.add_argument("--backend", help="backend dotted path or alias (default: local)")
    parser.add_argument(
        "--backend-option",
        action="append",
        metavar="NAME=VALUE",
        help="option of the backend, VALUE read as JSON when it parses (repeatable), "
        "e.g. min_data_scale=0.01 or retrain_interval=600",
    )
    parser.add_argument("--region", help="region written into ARNs (default: local)")
    parser.add_argument("--account-id", help="account written into ARNs (default: 000000000000)")
    parser.add_argument(
        "--tracking-id", action="append", help="tracking id PutEvents accepts (repeatable)"
    )
    parser.add_argument(
        "--recommender",
        action="append",
        metavar="NAME=USE_CASE",
        help="serve a recommender (repeatable; replaces the defaults)",
    )
    parser.add_argument(
        "--campaign",
        action="append",
        metavar="NAME=USE_CASE",
        help="serve a campaign (repeatable; replaces the defaults)",
    )
    parser.add_argument(
        "--filter", action="append", metavar="NAME=EXPRESSION", help="serve a filter (repeatable)"
    )
    parser.add_argument(
        "--access-key",
        action="append",
        metavar="KEY:SECRET",
        help="require SigV4 signed with this key (repeatable)",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        help="share of requests answered with a retryable error (0 to 1)",
    )
    parser.add_argument("--fault-seed", type=int, help="seed of the fault switch")
    parser.add_argument("--fault-kinds", help=f"comma-separated subset of {','.join(FAULT_KINDS)}")
    parser.add_argument(
        "--lenient-inputs",
        action="store_true",
        help="accept requests missing a userId/itemId that AWS requires but the SDK does not",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    return parser


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """The configuration: ``--config`` first, then the command-line settings over it."""
    data: dict[str, Any] = {}
    if args.config:
        data.update(ServerConfig.from_file(args.config).__dict__)
    simple = {
        "region": args.region,
        "account_id": args.account_id,
        "fault_rate": args.fault_rate,
        "fault_seed": args.fault_seed,
    }
    data.update({key: value for key, value in simple.items() if value is not None})
    if args.tracking_id:
        data["tracking_ids"] = tuple(args.tracking_id)
    if args.recommender:
        data["recommenders"] = _pairs(args.recommender, "=", "--recommender")
    if args.campaign:
        data["campaigns"] = _pairs(args.campaign, "=", "--campaign")
    if args.filter:
        data["filters"] = {
            **dict(data.get("filters") or {}),
            **_pairs(args.filter, "=", "--filter"),
        }
    if args.access_key:
        data["access_keys"] = {
            **dict(data.get("access_keys") or {}),
            **_pairs(args.access_key, ":", "--access-key"),
        }
    if args.fault_kinds:
        data["fault_kinds"] = tuple(
            kind.strip() for kind in args.fault_kinds.split(",") if kind.strip()
        )
    if args.lenient_inputs:
        data["strict_inputs"] = False
    return ServerConfig(**data)


def backend_options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """``--path`` and the ``--backend-option`` pairs, values decoded as JSON
    where they parse (``0.01``, ``true``, ``{"View": 1}``), strings otherwise."""
    options: dict[str, Any] = {}
    if args.path:
        options["path"] = args.path
    for name, text in _pairs(args.backend_option, "=", "--backend-option").items():
        try:
            options[name] = json.loads(text)
        except ValueError:
            options[name] = text
    return options


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        backend_options = backend_options_from_args(args)
        app = PersonalizeServer(
            args.backend or "local",
            config,
            backend_options=backend_options,
            s3_root=args.s3_root,
            control_plane=False if args.no_control_plane else None,
        )
    except ConfigurationError as err:
        parser.exit(2, f"error: {err}\n")
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    # SIGTERM (docker stop, a CI job's end) closes the backend as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    server = make_wsgi_server(app, args.host, args.port)
    host = args.host if ":" not in args.host else f"[{args.host}]"
    description = config.describe()
    description["control_plane"] = "on" if app.control is not None else f"off: {app.control_error or '--no-control-plane'}"
    description["s3_root"] = args.s3_root
    print(f"Local Personalize serving on http://{host}:{server.server_port}", flush=True)
    print(json.dumps(description, indent=2), flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
