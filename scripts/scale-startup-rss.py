#!/usr/bin/env python3
"""Time from starting atmpd to its first greeting, and its resident memory
with many idle connections (docs/scale.md).

    scripts/scale-startup-rss.py --atmpd PATH --database URL --workdir DIR [--connections 1000] -- [atmpd flags]

Starts `atmpd serve` (socket DIR/atmpd.sock), polls the socket until a
connection is greeted, prints that time, opens N connections that read their
greeting and then stay idle, and prints VmRSS/VmHWM before and after.
"""
import argparse, os, resource, socket, subprocess, sys, time


def rss(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields["VmRSS"], fields["VmHWM"], fields["Threads"]


def greet(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    line = s.makefile("rb").readline()
    return s, line


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--atmpd", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    sock = os.path.join(args.workdir, "atmpd.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    command = [args.atmpd, "serve", "--database", args.database, "--data-dir", args.workdir,
               "--socket", sock, "--max-connections", str(args.connections + 50)] + args.extra
    start = time.perf_counter()
    daemon = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=open(os.path.join(args.workdir, "atmpd.log"), "w"))
    try:
        while True:
            if daemon.poll() is not None:
                sys.exit(f"atmpd exited with {daemon.returncode}; see {args.workdir}/atmpd.log")
            try:
                s, line = greet(sock)
                break
            except OSError:
                time.sleep(0.002)
        ready = time.perf_counter() - start
        print(f"ready (first greeting) after {ready * 1000:.0f} ms: {line.decode().strip()}")
        s.close()
        time.sleep(1)
        print("idle, 0 connections: VmRSS %s  VmHWM %s  threads %s" % rss(daemon.pid))
        held = []
        for i in range(args.connections):
            c, line = greet(sock)
            if not line.startswith(b"220"):
                sys.exit(f"connection {i}: {line!r}")
            held.append(c)
        time.sleep(2)
        print(f"idle, {len(held)} connections: VmRSS %s  VmHWM %s  threads %s" % rss(daemon.pid))
        for c in held:
            c.close()
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


if __name__ == "__main__":
    main()
