"""X reads (what X bills) of a nightly run and of a 90-day backfill of the sandbox account, and of a nightly
run that also reads the sandbox's competitors (config `competitors:`).

Not a timing: it counts billed resources, the way X's pay-per-use pricing does, and prints them as a
ratio of the account's read budget. The fake API counts what it returned, independently of the
connector's own count; both are printed.

    .venv/bin/python benchmarks/x_reads.py
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from connectors.base import Credentials, Window
from connectors.testing import FakeServer
from connectors.testing.sandbox import company
from connectors.testing.sandbox.x import SANDBOX_USER_TOKEN, XSandbox
from connectors.x import COMPETITOR_POSTS, DEFAULT_READ_BUDGET, PRICE_USD
from socialmetrics import pipeline
from socialmetrics.land import landing

TODAY = dt.date(2026, 11, 20)
ACCOUNT = {"network": "x", "id": "1480000000000000001", "name": None, "conn_id": "x_default", "options": {}}
COMPETITORS = [{"competitor": r.name, "handle": r.x_username} for r in company.RIVALS if r.x_username]


def run(
    server: FakeServer, root: Path, run_id: str, window: Window, backfill: bool, account: dict[str, Any] = ACCOUNT
) -> dict[str, Any]:
    def creds(conn_id: str) -> Credentials:
        return Credentials(conn_id, SANDBOX_USER_TOKEN, server.base_url, {"user_context": True})

    pipeline.extract(pipeline.account_from_dict(account), window, run_id, credentials=creds, landing_root=root,
                     today=TODAY, backfill=backfill)  # fmt: skip
    (usage,) = landing.read_usage(root, run_id)
    return usage["reads"] if account is ACCOUNT else usage


def main() -> None:
    os.environ.setdefault("SOCIALMETRICS_AUTHOR_KEY", "benchmark-author-key-0123456789")
    with tempfile.TemporaryDirectory() as tmp, FakeServer(XSandbox(today=TODAY)) as server:
        app: XSandbox = server.app  # type: ignore[assignment]
        root = Path(tmp)
        nightly = run(server, root, "nightly", Window(TODAY - dt.timedelta(days=28), TODAY), backfill=False)
        billed_nightly = app.resources_returned
        backfill = {"posts": 0, "users": 0}
        runs = 0
        for i in range(90):
            day = TODAY - dt.timedelta(days=90 - i)
            reads = run(server, root, f"backfill_{day}", Window(day, day + dt.timedelta(days=1)), backfill=True)
            backfill = {k: backfill[k] + reads[k] for k in backfill}
            runs += 1
        billed_backfill = app.resources_returned - billed_nightly
        before = app.resources_returned
        with_rivals = {**ACCOUNT, "options": {"competitors": COMPETITORS}}
        rivals_usage = run(server, root, "nightly_competitors", Window(TODAY - dt.timedelta(days=28), TODAY),
                           backfill=False, account=with_rivals)  # fmt: skip
        billed_rivals = app.resources_returned - before

    def cost(reads: dict[str, int]) -> float:
        return sum(reads[k] * PRICE_USD[k] for k in reads)

    print(
        f"nightly run: {sum(nightly.values())} reads {nightly} = ${cost(nightly):.3f}; "
        f"fake API counted {billed_nightly}; ratio to budget {sum(nightly.values()) / DEFAULT_READ_BUDGET:.3f}"
    )
    per_run = sum(backfill.values()) / runs
    print(
        f"90-day backfill ({runs} daily runs): {sum(backfill.values())} reads {backfill} = ${cost(backfill):.3f} "
        f"(X bills the same user once per UTC day: ${cost(backfill) - (runs - 1) * PRICE_USD['users']:.3f} "
        f"when run within one day); fake API counted {billed_backfill}; "
        f"average run uses {per_run / DEFAULT_READ_BUDGET:.3f} of its budget"
    )

    rival_reads = rivals_usage["competitor_reads"]
    most = len(COMPETITORS) * (1 + COMPETITOR_POSTS)
    print(
        f"nightly run with {len(COMPETITORS)} competitors: {sum(rivals_usage['reads'].values())} reads of which "
        f"competitors {sum(rival_reads.values())} {rival_reads} = ${cost(rival_reads):.3f} a night "
        f"(~${30 * cost(rival_reads):.2f} a month; at most {most} reads = "
        f"${len(COMPETITORS) * (PRICE_USD['users'] + COMPETITOR_POSTS * PRICE_USD['posts']):.3f}); fake API counted "
        f"{billed_rivals}; ratio to budget {sum(rivals_usage['reads'].values()) / DEFAULT_READ_BUDGET:.3f}"
    )


if __name__ == "__main__":
    main()
