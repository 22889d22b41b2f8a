"""bench/results.md from the figures in bench/results/<engine>.json (written by run.py).

The hand-written analysis ("Where the time goes") lives in bench/findings.md and is
copied in, so re-running the benchmark never loses it.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _load() -> dict[str, dict]:
    """Each engine's main run first, then variants (results/<engine>-<label>.json)."""
    paths = sorted(RESULTS.glob("*.json"), key=lambda p: (p.stem.split("-")[0], "-" in p.stem))
    return {p.stem: json.loads(p.read_text()) for p in paths}


def _key(result: dict, prefix: str, role: str) -> str | None:
    for label in result.get("pages", {}):
        if label.startswith(prefix):
            return f"{label}|{role}"
    return None


def _rps(result: dict, key: str | None) -> float | None:
    row = result.get("load", {}).get(key or "")
    return row["rps"] if row else None


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("**met**" if ok else "**missed**")


def targets(result: dict) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) rows for one engine."""
    rows = []
    load = result.get("load")
    if load:
        ceiling = load["ceiling"]["rps"]

        def ratio(prefix: str, role: str) -> float | None:
            value = _rps(result, _key(result, prefix, role))
            return None if value is None else value / ceiling

        for prefix, role, goal, name in [
            ("thread p1", "member", 0.9, "member thread page (author cards) ≥ 0.9× ceiling"),
            ("index", "member", 1.0, "member index ≥ 1.0×"),
            ("board p1", "member", 1.0, "member board page ≥ 1.0×"),
            ("thread p1", "guest", 5.0, "guest thread page ≥ 5×"),
            ("board p1", "guest", 5.0, "guest board page ≥ 5×"),
            ("index", "guest", 5.0, "guest index ≥ 5×"),
        ]:
            r = ratio(prefix, role)
            rows.append((name, "—" if r is None else f"{r:.2f}×",
                         _verdict(None if r is None else r >= goal)))
        for deep, base, allowed, name in [
            ("megathread last", "thread p1", 0.2, "megathread last page within 20% of page 1"),
            ("board p2", "board p1", 0.2, "board page 2,000 within 20% of page 1"),
            ("只看该作者 p1", "thread p1", 0.5, "只看该作者 (page 1) within 50% of thread page 1"),
            ("只看该作者 last", "thread p1", 0.5,
             "只看该作者 (last page) within 50% of thread page 1"),
        ]:
            for role in ("member", "guest"):
                a = _rps(result, _key(result, deep, role))
                b = _rps(result, _key(result, base, role))
                if a is None or b is None:
                    continue
                rows.append((f"{name} ({role})", f"{a / b:.2f} of page 1",
                             _verdict(a / b >= 1 - allowed)))
    memory = result.get("memory")
    if memory:
        rows.append(("worker RSS after 20,000 requests within 20% of after 1,000",
                     f"{memory['after_1000_kb'] / 1024:.0f} → "
                     f"{memory['after_n_kb'] / 1024:.0f} MB "
                     f"({memory['growth']:+.0%})", _verdict(memory["growth"] <= 0.2)))
    writes = result.get("writes")
    if writes:
        if result["engine"] == "postgresql":
            ok = (writes["replies_per_s"] >= 300 and writes["errors"] == 0
                  and writes["all_exact"])
            rows.append((f"{writes['writers']} writers on one thread ≥ 300 replies/s, "
                         "0 errors, exact", f"{writes['replies_per_s']:.0f}/s, "
                         f"{writes['errors']} errors, exact: {writes['all_exact']}", _verdict(ok)))
        else:
            ok = writes["database_is_locked"] == 0 and writes["all_exact"]
            rows.append((f"{writes['writers']} writers, no \"database is locked\"",
                         f"{writes['replies_per_s']:.0f}/s, {writes['errors']} errors "
                         f"({writes['database_is_locked']} locked), exact: "
                         f"{writes['all_exact']}", _verdict(ok)))
    return rows


def _engine_section(result: dict) -> list[str]:
    m, d, s = result["machine"], result["data"], result["settings"]
    label = f" — variant: {result['label']}" if result.get("label") else ""
    out = [
        f"## {m['database']}{label}",
        "",
        (f"{result['note']}\n\n" if result.get("note") else "")
        + f"Run started {result['started']} (code: {m.get('code', 'not recorded')}). "
        f"Data: {d['posts']:,} posts, {d['threads']:,} "
        f"threads, {d['members']:,} members, big board {d['big_board_threads']:,} threads, "
        f"megathread {d['megathread_floors']:,} floors. {s['workers']} sync gunicorn workers "
        f"each, `wrk {s['wrk']} -d{s['duration']}s --latency`, median of {s['rounds']} "
        f"interleaved rounds.",
        "",
        "### Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in targets(result)],
        "",
    ]
    load = result.get("load")
    if load:
        ceiling = load["ceiling"]
        out += [
            "### Pages",
            "",
            "Ratio = the page's req/s ÷ the ceiling's thread page req/s (median of the "
            f"ceiling's runs in the same rounds: {ceiling['rps']:.0f} req/s, p50 "
            f"{ceiling['p50']:.1f} ms, p99 {ceiling['p99']:.1f} ms, "
            f"{result['bytes'].get('ceiling', 0):,} bytes; runs {ceiling['rounds']}). "
            "Queries: the second request of the page, in-process (a guest's may be a page "
            "cache hit). Bytes: the response body.",
            "",
            "| page | as | req/s | p50 ms | p99 ms | queries | bytes | ratio | rounds (req/s) |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for key, row in load.items():
            if key == "ceiling":
                continue
            label, role = key.split("|")
            url = result["pages"].get(label, "")
            queries = result["queries"].get(key, ["—"])[0]
            size = result.get("bytes", {}).get(key, "—")
            size = f"{size:,}" if isinstance(size, int) else size
            bad = f" ({row['non2xx']:.0f} non-2xx/3xx)" if row.get("non2xx") else ""
            out.append(
                f"| {label} `{url}` | {role} | {row['rps']:.1f}{bad} | {row['p50']:.1f} | "
                f"{row['p99']:.1f} | {queries} | {size} | {row['rps'] / ceiling['rps']:.2f} | "
                f"{', '.join(str(r) for r in row['rounds'])} |")
        out.append("")
    writes = result.get("writes")
    if writes:
        out += [
            "### Writes",
            "",
            f"{writes['writers']} processes, each with its own connection, calling "
            f"`forum.services.create_reply` on one new thread for {writes['seconds']} s "
            "(e-mail notifications to a dummy backend): "
            f"**{writes['replies']:,} replies, {writes['replies_per_s']:.1f}/s**, "
            f"{writes['errors']} errors {writes['error_kinds'] or ''}, "
            f"\"database is locked\": {writes['database_is_locked']}. Checks afterwards: "
            + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in writes["checks"].items())
            + f". Per writer: {writes['per_writer']}.",
            "",
        ]
    memory = result.get("memory")
    if memory:
        out += [
            "### Memory",
            "",
            "One sync worker, every fourth request as the member, over the pages above "
            "plus 400 thread pages and 200 board pages: VmRSS "
            f"{memory['after_1000_kb']:,} kB after 1,000 requests, "
            f"{memory['after_n_kb']:,} kB after "
            f"{memory['requests']:,} ({memory['growth']:+.1%}).",
            "",
        ]
    return out


def write_markdown() -> Path:
    results = _load()
    out = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py) from bench/results/*.json; the analysis "
        "comes from bench/findings.md. The data comes from bench/generate.py (default "
        "size). How to reproduce: see bench/README.md.",
        "",
        "**Read the ratios, not the req/s.** The machine has 2 cores shared with other "
        "engineers running test suites, and wrk runs on the same cores as the servers, so "
        "absolute figures move from minute to minute. The ceiling is measured in the same "
        "interleaved rounds as the forum, so the ratio to it is the meaningful figure.",
        "",
    ]
    if results:
        m = next(iter(results.values()))["machine"]
        out += [
            "## Machine and versions",
            "",
            f"- {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Linux {m['kernel']}",
            f"- Python {m['python']}, Django {m['django']}, gunicorn {m['gunicorn']}, "
            f"Redis {m['redis']}, {m['wrk']}",
            "- databases: " + ", ".join(r["machine"]["database"] for r in results.values()),
            "",
        ]
    for result in results.values():
        out += _engine_section(result)
    findings = HERE / "findings.md"
    if findings.exists():
        out += [findings.read_text("utf-8").strip(), ""]
    path = HERE / "results.md"
    path.write_text("\n".join(out), "utf-8")
    return path


if __name__ == "__main__":
    print(write_markdown())
