"""Command line: `python -m stream.worlds_g --list` or `--world NAME ... --out F --labels F`."""
import argparse
import sys

from . import WORLDS, generate


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m stream.worlds_g", description=__doc__)
    p.add_argument("--list", action="store_true", help="list the worlds")
    p.add_argument("--world")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--users", type=int, default=3000)
    p.add_argument("--history-days", type=int, default=45)
    p.add_argument("--test-days", type=int, default=14)
    p.add_argument("--out")
    p.add_argument("--labels")
    a = p.parse_args(argv)
    if a.list:
        for name, w in WORLDS.items():
            print("%s  %s" % (name, w.desc))
        return 0
    if a.world not in WORLDS:
        p.error("--world must be one of: " + ", ".join(WORLDS))
    if not a.out or not a.labels:
        p.error("--out and --labels are required")
    lines, labels, stats = generate(a.world, a.seed, a.users, a.history_days, a.test_days)
    for path, rows in ((a.out, lines), (a.labels, labels)):
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(rows) + ("\n" if rows else ""))
    print("world=%s events=%d users=%d positives=%d" % (
        a.world, stats["events"], stats["users"], stats["positives"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
