#!/usr/bin/env python3
"""Fill atmpd's case cache: CASE NOTE on C-000001 … C-<N> over several connections.

    scripts/scale-fill-cache.py --socket PATH --user U --password P [--cases 100000] [--connections 8]

Used for the memory figure in docs/scale.md: every change puts its case in
the cache, so after the run the cache holds N cases (the user needs a role
of every template, or the changes are refused and nothing is cached). Each
connection pipelines 16 requests at a time. Prints the reply codes seen.
"""
import argparse, socket, threading, time


def read_final(f):
    while True:
        line = f.readline()
        if not line:
            raise RuntimeError("connection closed")
        if line[3:4] == b" ":
            return line


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    codes, lock = {}, threading.Lock()

    def work(k):
        s = socket.socket(socket.AF_UNIX)
        s.connect(args.socket)
        f = s.makefile("rb")
        read_final(f)
        s.sendall(f"AUTH user={args.user} password={args.password}\n".encode())
        assert read_final(f).startswith(b"250"), "AUTH failed"
        ids = [f"C-{n:06d}" for n in range(1 + k, args.cases + 1, args.connections)]
        for i in range(0, len(ids), 16):
            chunk = ids[i:i + 16]
            s.sendall("".join(f"CASE NOTE {c} text=cache-fill\n" for c in chunk).encode())
            for _ in chunk:
                code = read_final(f)[:3].decode()
                with lock:
                    codes[code] = codes.get(code, 0) + 1

    start = time.time()
    threads = [threading.Thread(target=work, args=(k,)) for k in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(codes, f"{time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
