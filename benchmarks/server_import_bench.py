"""Benchmark: a dataset import job of the local Personalize, 1,000,000
interactions by default, through a real boto3 client.

    python -m benchmarks.server_import_bench [--rows 1000000] [--keep DIR]

It writes a synthetic interactions CSV (50,000 users, 10,000 items, views
and purchases) into a temporary S3 folder, starts the server in a thread,
creates a schema, a dataset group and a dataset, then times the import job
from CreateDatasetImportJob to ACTIVE (the worker checks every row against
the schema, then inserts in batches). It prints the seconds, rows per
second and the growth of the process's peak RSS. The target is under 60 s
for 1,000,000 rows; the bench asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time

from personalize_sdk.dataset.csv_format import INTERACTIONS, default_format

#: the ECOMMERCE domain's interactions schema (reference 4.2)
SCHEMA = default_format(INTERACTIONS).schema_json()


def write_csv(path: str, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = 1_704_067_200  # 2024-01-01
    with open(path, "w", encoding="utf-8") as out:
        out.write("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n")
        for index in range(rows):
            event = "Purchase" if rng.random() < 0.1 else "View"
            out.write(f"u{rng.randrange(50_000)},i{int(rng.paretovariate(1.2)) % 10_000},{event},{start + index}\n")


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run(rows: int, folder: str) -> tuple[float, float]:
    import boto3

    from personalize_sdk.server import PersonalizeServer, ServerThread

    s3 = os.path.join(folder, "s3")
    os.makedirs(os.path.join(s3, "bench"), exist_ok=True)
    write_csv(os.path.join(s3, "bench", "interactions.csv"), rows)
    app = PersonalizeServer(path=os.path.join(folder, "data"), s3_root=s3, control_plane=True)
    thread = ServerThread(app).start()
    try:
        client = boto3.client(
            "personalize", endpoint_url=thread.url, region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",
        )
        schema = client.create_schema(name="bench", schema=SCHEMA, domain="ECOMMERCE")["schemaArn"]
        group = client.create_dataset_group(name="bench", domain="ECOMMERCE")["datasetGroupArn"]
        while client.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] != "ACTIVE":
            time.sleep(0.05)
        dataset = client.create_dataset(
            name="bench", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
        )["datasetArn"]
        while client.describe_dataset(datasetArn=dataset)["dataset"]["status"] != "ACTIVE":
            time.sleep(0.05)
        rss = _peak_rss_mb()
        started = time.perf_counter()
        job = client.create_dataset_import_job(
            jobName="bench", datasetArn=dataset, roleArn="arn:aws:iam::123456789012:role/bench",
            dataSource={"dataLocation": "s3://bench/interactions.csv"},
        )["datasetImportJobArn"]
        while True:
            described = client.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]
            if described["status"] in ("ACTIVE", "CREATE FAILED"):
                break
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        if described["status"] != "ACTIVE":
            raise SystemExit(f"the import failed: {described.get('failureReason')}")
        return seconds, _peak_rss_mb() - rss
    finally:
        thread.stop()
        app.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="folder to work in (kept); default: a temporary one")
    args = parser.parse_args(argv)
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        seconds, rss = run(args.rows, args.keep)
    else:
        with tempfile.TemporaryDirectory() as folder:
            seconds, rss = run(args.rows, folder)
    print(f"{'rows':>10}  {'seconds':>8}  {'rows/s':>9}  {'RSS growth MB':>13}  target")
    verdict = "met" if seconds < 60 else "missed"
    print(f"{args.rows:>10,}  {seconds:>8.1f}  {args.rows / seconds:>9,.0f}  {rss:>13.0f}  < 60 s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
