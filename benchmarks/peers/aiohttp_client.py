#!/usr/bin/python3
"""The Python peer of llmcap's client benchmark (benchmarks/client/bench_client_ingest.cpp).

One asyncio event loop and aiohttp, doing what popular Python serving benchmarks do per
stream: read the body as it arrives, split it into events on blank lines, take
time.perf_counter() per event, and json.loads() each `data:` payload. Prints one JSON object.

Modes (the same as the C++ side, against the same SSE source):
  saturate  --streams S --events N            token events/s and CPU time
  paced     --streams S --events N --rate R [--aligned]
                                              added delay per event (sent_ns stamped by the source)
  hold      --streams S --events N --rate R   streams held at once and memory per stream
"""

import argparse
import asyncio
import json
import os
import resource
import time

import aiohttp


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def one_stream(session, url, body, stats, delays):
    async with session.post(url, json=body) as resp:
        if resp.status != 200:
            stats["failed"] += 1
            await resp.read()
            return
        stats["open"] += 1
        buf = b""
        done = False
        async for data in resp.content.iter_any():
            buf += data
            while True:
                end = buf.find(b"\n\n")
                if end < 0:
                    break
                event, buf = buf[:end], buf[end + 2:]
                t = time.perf_counter()
                if not event.startswith(b"data: "):
                    continue
                payload = event[6:]
                if payload == b"[DONE]":
                    done = True
                    break
                chunk = json.loads(payload)
                choices = chunk.get("choices")
                if choices and choices[0].get("delta", {}).get("content"):
                    stats["events"] += 1
                    sent = chunk.get("sent_ns")
                    if sent is not None and delays is not None:
                        delays.append(t * 1e9 - sent)
            if done:
                break
        stats["open"] -= 1
        stats["ok" if done else "failed"] += 1


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[i]


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--mode", choices=["saturate", "paced", "hold"], required=True)
    p.add_argument("--streams", type=int, default=1)
    p.add_argument("--events", type=int, default=1000)
    p.add_argument("--rate", type=float, default=0.0)
    p.add_argument("--sample-when-open", action="store_true",
                   help="sample memory once every stream is open (hold)")
    p.add_argument("--aligned", action="store_true",
                   help="ask the source to send every stream's events on one shared grid")
    a = p.parse_args()

    body = {"model": "bench/model-7b", "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": a.events, "stream": True, "source_rate": a.rate,
            "stream_options": {"include_usage": True}}
    if a.aligned:
        body["source_aligned"] = True
    stats = {"events": 0, "ok": 0, "failed": 0, "open": 0}
    delays = [] if a.mode == "paced" else None
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=600)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        rss0 = rss_bytes()
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        tasks = [asyncio.create_task(one_stream(session, a.url + "/v1/chat/completions", body,
                                                stats, delays)) for _ in range(a.streams)]
        sample = {}
        if a.sample_when_open:
            while stats["open"] < a.streams and stats["ok"] + stats["failed"] == 0 and \
                    time.perf_counter() - t0 < 60:
                await asyncio.sleep(0.02)
            sample = {"open_at_sample": stats["open"], "rss_delta_bytes": rss_bytes() - rss0}
        results = await asyncio.gather(*tasks, return_exceptions=True)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    out = {"mode": a.mode, "streams": a.streams, "events": stats["events"], "ok": stats["ok"],
           "failed": stats["failed"] + len(errors), "wall_s": wall, "cpu_s": cpu,
           "errors": errors[:3]}
    out.update(sample)
    if delays is not None:
        delays.sort()
        out["delay_ns"] = {"p50": percentile(delays, 0.5), "p99": percentile(delays, 0.99),
                           "p999": percentile(delays, 0.999), "max": delays[-1] if delays else None,
                           "count": len(delays)}
    print(json.dumps(out))


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main())
