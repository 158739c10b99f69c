#!/usr/bin/env python3
"""Latency and throughput of atmpd at scale, over its Unix socket (docs/scale.md).

    scripts/scale-measure.py --socket PATH --user U --password P [--cases N] [--requests R]

Prints p50/p99 of CASE SHOW of random cases, CASE LIST with filters and
pagination, AUDIT VERIFY of one case, and the time of a full AUDIT VERIFY.
Latency is from writing the request to reading the final reply line, one
request at a time on one signed-in connection.
"""
import argparse, random, socket, time


class Session:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.file = self.sock.makefile("rb")
        self.read_reply()  # greeting

    def read_reply(self):
        lines = []
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError("connection closed")
            line = line.rstrip(b"\r\n").decode()
            lines.append(line)
            if len(line) >= 4 and line[3] == "+":  # a data block follows
                while True:
                    block = self.file.readline()
                    if block.rstrip(b"\r\n") == b".":
                        break
                continue
            if len(line) < 4 or line[3] == " ":
                return lines

    def request(self, text):
        self.sock.sendall(text.encode() + b"\n")
        return self.read_reply()

    def timed(self, text):
        start = time.perf_counter()
        reply = self.request(text)
        return time.perf_counter() - start, reply


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(name, seconds, replies):
    ms = [s * 1000 for s in seconds]
    bad = [r[-1] for r in replies if not r[-1].startswith("250")]
    print(f"{name:48s} n={len(ms):5d}  p50={percentile(ms, 50):7.2f} ms  p99={percentile(ms, 99):7.2f} ms"
          f"  max={max(ms):7.2f} ms" + (f"  FAILED {len(bad)}: {bad[0]}" if bad else ""))


def run(session, name, requests):
    seconds, replies = [], []
    for text in requests:
        s, r = session.timed(text)
        seconds.append(s)
        replies.append(r)
    report(name, seconds, replies)
    return replies


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--full-verify", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    s = Session(args.socket)
    auth = s.request(f"AUTH user={args.user} password={args.password}")
    assert auth[-1].startswith("250"), auth
    n = args.requests
    ids = [f"C-{rng.randint(1, args.cases):06d}" for _ in range(n)]
    run(s, "CASE SHOW (random case)", [f"CASE SHOW {i}" for i in ids])
    templates = ["cell-therapy", "gene-therapy", "hospital-exemption", "tissue-engineered"]
    run(s, "CASE LIST template= limit=100", [f"CASE LIST template={rng.choice(templates)}" for _ in range(n // 4)])
    states = ["clinical-need", "non-clinical", "marketing-authorisation", "closed"]
    # States are taken from what the database holds (see the list run below).
    listed = s.request("CASE LIST limit=1000")
    seen = sorted({f.split("=", 1)[1] for line in listed for f in line.split() if f.startswith("state=")})
    states = seen or states
    run(s, "CASE LIST state= limit=100", [f"CASE LIST state={rng.choice(states)}" for _ in range(n // 4)])
    run(s, "CASE LIST template= state= limit=100",
        [f"CASE LIST template={rng.choice(templates)} state={rng.choice(states)}" for _ in range(n // 4)])
    run(s, "CASE LIST overdue=true limit=100", ["CASE LIST overdue=true" for _ in range(n // 10)])
    run(s, "CASE LIST overdue=false limit=100", ["CASE LIST overdue=false" for _ in range(n // 10)])
    run(s, "CASE LIST hold=true limit=100", ["CASE LIST hold=true" for _ in range(n // 10)])
    run(s, "CASE LIST after=<random> limit=100",
        [f"CASE LIST after=C-{rng.randint(1, args.cases):06d}" for _ in range(n // 4)])
    run(s, "CASE LIST template= after=<random> limit=100",
        [f"CASE LIST template={rng.choice(templates)} after=C-{rng.randint(1, args.cases):06d}"
         for _ in range(n // 4)])
    run(s, "AUDIT VERIFY <one case>", [f"AUDIT VERIFY {i}" for i in ids[: n // 2]])
    if args.full_verify:
        seconds, reply = s.timed("AUDIT VERIFY")
        print(f"AUDIT VERIFY (all chains): {seconds:.1f} s  {reply[-1]}")
        events = [int(f.split("=")[1]) for f in reply[-1].split() if f.startswith("events=")]
        if events:
            print(f"  {events[0] / seconds:,.0f} events/s")


if __name__ == "__main__":
    main()
