#!/usr/bin/env python3
"""Issue 18 by hand: hold 20,000 idle TCP connections to a running detcat server and time
/healthz while they are held.

    tools/idle_sockets.py HOST:PORT SERVER_PID [TOTAL] [PROCESSES]

TOTAL (default 20000) idle sockets are opened by PROCESSES (default 2) client processes —
one process may not hold 20,000 descriptors under a 20,000 hard limit — each raising its
soft `nofile` limit to the hard one. While they are held, /healthz is fetched 20 times on
fresh connections (each with a 5 s timeout) and the server's RSS, threads and open
descriptors (from /proc/SERVER_PID) are printed before, during and after. Prints figures;
exits 1 when a /healthz took 100 ms or more or failed."""
import multiprocessing as mp, os, resource, socket, sys, time

def server_stats(pid):
    status = open(f"/proc/{pid}/status").read().splitlines()
    get = lambda k: next(l.split(":", 1)[1].strip() for l in status if l.startswith(k + ":"))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return f"RSS {get('VmRSS')}, threads {get('Threads')}, fds {fds}"

def hold(host, port, n, ready, release):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks, failed = [], 0
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        # Non-blocking: a connection the server's backlog cannot take yet completes later
        # (the kernel retries the SYN) without stalling the others.
        if s.connect_ex((host, port)) not in (0, 115):  # 115: EINPROGRESS
            failed += 1
            s.close()
            continue
        socks.append(s)
    ready.put((len(socks), failed))
    release.wait()
    for s in socks:
        s.close()

def healthz(host, port):
    t = time.perf_counter()
    try:
        c = socket.create_connection((host, port), timeout=5)
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status = c.recv(200).split(b"\r\n")[0].decode()
        c.close()
    except OSError as e:
        status = f"error: {e}"
    return status, (time.perf_counter() - t) * 1000

def main():
    host, port = sys.argv[1].rsplit(":", 1)
    port, pid = int(port), int(sys.argv[2])
    total = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    procs = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    print(f"before: {server_stats(pid)}")
    base = [healthz(host, port) for _ in range(5)]
    print("healthz idle: " + ", ".join(f"{ms:.1f}" for _, ms in base) + " ms")
    ready, release = mp.Queue(), mp.Event()
    workers = [mp.Process(target=hold, args=(host, port, total // procs, ready, release))
               for _ in range(procs)]
    t = time.perf_counter()
    for w in workers:
        w.start()
    opened = [ready.get() for _ in workers]
    print(f"{sum(o for o, _ in opened)} idle sockets opened ({sum(f for _, f in opened)} failed) "
          f"by {procs} processes in {time.perf_counter() - t:.1f} s")
    time.sleep(1.0)
    print(f"during: {server_stats(pid)}")
    results = []
    for _ in range(20):
        results.append(healthz(host, port))
        time.sleep(0.1)
    print(f"during: {server_stats(pid)}")
    ms = [m for _, m in results]
    bad = [s for s, _ in results if " 200 " not in s + " "]
    print("healthz while held: " + ", ".join(f"{m:.1f}" for m in ms) + " ms")
    print(f"healthz while held: max {max(ms):.1f} ms, median {sorted(ms)[len(ms) // 2]:.1f} ms, "
          f"not 200: {len(bad)} {bad[:3]}")
    release.set()
    for w in workers:
        w.join()
    time.sleep(2.0)
    print(f"after: {server_stats(pid)}")
    after = [healthz(host, port) for _ in range(5)]
    print("healthz after: " + ", ".join(f"{ms:.1f}" for _, ms in after) + " ms")
    sys.exit(0 if not bad and max(ms) < 100 else 1)

if __name__ == "__main__":
    main()
