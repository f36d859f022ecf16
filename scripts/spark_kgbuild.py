#!/usr/bin/env python3
"""Run `kgbuild --jsonl` under Apache Spark with RDD.pipe, then merge the graphs.

Each Spark task pipes its partition of a JSON Lines corpus ({"id": ..., "text": ...} per
line) through `kgbuild --jsonl -` and gets one JSON graph per line back, in the same order.
The graphs are saved as text files (part-00000, part-00001, ... in partition order) and
`kgbuild merge` turns them into one graph. See docs/corpus.md.

    python3 scripts/spark_kgbuild.py corpus.jsonl --out graphs/ --merged all.ron \
        --kgbuild target/release/kgbuild --master 'local[2]' --partitions 8

On a cluster, ship the binary with the job (`spark-submit --files target/release/kgbuild
scripts/spark_kgbuild.py ... --kgbuild ./kgbuild --master yarn`): Spark puts it in each
executor's working folder, where the piped command runs.
"""

import argparse
import glob
import os
import shlex
import subprocess
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", help="JSON Lines input (any path Spark's textFile reads)")
    ap.add_argument("--out", required=True, help="folder for the per-document graphs")
    ap.add_argument("--merged", help="merge the graphs into this file (.json, .ron, .dot)")
    ap.add_argument("--kgbuild", default="kgbuild", help="the kgbuild binary")
    ap.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    ap.add_argument("--partitions", type=int, default=4, help="minimum number of partitions")
    ap.add_argument("--args", default="", help="extra kgbuild flags (e.g. --gazetteer g.tsv)")
    a = ap.parse_args()

    if a.master.startswith("local"):
        # Local mode talks to itself only: keep Spark on the loopback address.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark import SparkConf, SparkContext

    kgbuild = a.kgbuild
    if os.path.sep in kgbuild and os.path.exists(kgbuild):
        kgbuild = os.path.abspath(kgbuild)
    # One thread per task: Spark runs one task per core already. -q: no progress bar.
    command = [kgbuild, "--jsonl", "-", "-q", "-j", "1"] + shlex.split(a.args)

    conf = SparkConf().setAppName("kgbuild").setMaster(a.master)
    sc = SparkContext(conf=conf)
    sc.setLogLevel("WARN")
    start = time.time()
    try:
        lines = sc.textFile(a.corpus, minPartitions=a.partitions)
        # pipe() writes each element as a line to the command's stdin and yields its stdout
        # lines; a non-zero exit fails the task (and Spark retries it).
        graphs = lines.pipe(" ".join(shlex.quote(c) for c in command))
        graphs.saveAsTextFile(a.out)
        n_parts = lines.getNumPartitions()
    finally:
        sc.stop()
    elapsed = time.time() - start
    parts = sorted(glob.glob(os.path.join(a.out, "part-*")))
    n_graphs = 0
    for p in parts:
        with open(p, encoding="utf-8") as f:
            n_graphs += sum(1 for line in f if line.strip())
    print(f"spark: {n_parts} partitions, {n_graphs} graphs in {len(parts)} files, {elapsed:.1f} s")

    if a.merged:
        start = time.time()
        r = subprocess.run([kgbuild, "merge", "-q", *parts, "-o", a.merged])
        if r.returncode not in (0, 1):
            return r.returncode
        print(f"merge: {a.merged} in {time.time() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
