//! The report of `bench/run`: reads its JSON lines, prints a markdown table of every run
//! and of the targets (ratios measured in the same run), and writes `results.md` and
//! `results.json` next to them.
//!
//! Usage: `report RESULTS.jsonl OUT_DIR --machine TEXT --db NAME --duration S --argon2 M,T,P`

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

/// One load run, whoever served it.
#[derive(Debug, Clone)]
struct Run {
    server: String,
    scenario: String,
    conns: u64,
    rps: f64,
    p50: f64,
    p99: f64,
    max: f64,
    non2xx: u64,
    status_5xx: u64,
    status_503: u64,
    socket_errors: u64,
    rss_peak_kb: Option<u64>,
    extra: Value,
    /// How many runs of this server and scenario there were; this one is their median.
    rounds: usize,
}

/// One run per server and scenario: the median by throughput of repeated rounds.
fn medians(runs: Vec<Run>) -> Vec<Run> {
    let mut groups: Vec<Vec<Run>> = Vec::new();
    for run in runs {
        match groups
            .iter_mut()
            .find(|g| g[0].server == run.server && g[0].scenario == run.scenario)
        {
            Some(group) => group.push(run),
            None => groups.push(vec![run]),
        }
    }
    groups
        .into_iter()
        .map(|mut group| {
            let rounds = group.len();
            group.sort_by(|a, b| a.rps.total_cmp(&b.rps));
            let mut median = group.swap_remove(rounds / 2);
            median.rounds = rounds;
            median
        })
        .collect()
}

fn num(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

fn run_of(line: &Value) -> Option<Run> {
    let server = line.get("server")?.as_str()?.to_owned();
    let wrk = line.get("wrk")?;
    // The peer's lines carry their own scenario; its mixed run has two labels.
    let scenario = match wrk.get("label").and_then(Value::as_str) {
        Some(label @ ("mixed_me" | "mixed_login")) if server == "peer" => label.to_owned(),
        _ => line
            .get("scenario")
            .or_else(|| wrk.get("scenario"))?
            .as_str()?
            .to_owned(),
    };
    let conns = line
        .get("conns")
        .or_else(|| wrk.get("conns"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let mut non2xx = 0;
    let mut status_5xx = 0;
    let mut status_503 = 0;
    if let Some(statuses) = wrk.get("statuses").and_then(Value::as_object) {
        for (code, n) in statuses {
            let n = n.as_u64().unwrap_or(0);
            if !code.starts_with('2') {
                non2xx += n;
            }
            if code.starts_with('5') {
                status_5xx += n;
            }
            if code == "503" {
                status_503 += n;
            }
        }
    }
    let socket_errors = wrk
        .get("socket_errors")
        .and_then(Value::as_object)
        .map_or(0, |e| e.values().filter_map(Value::as_u64).sum());
    Some(Run {
        server,
        scenario,
        conns,
        rps: num(wrk, "rps"),
        p50: num(wrk, "p50_ms"),
        p99: num(wrk, "p99_ms"),
        max: num(wrk, "max_ms"),
        non2xx,
        status_5xx,
        status_503,
        socket_errors,
        rss_peak_kb: line.get("rss_peak_kb").and_then(Value::as_u64),
        extra: line.clone(),
        rounds: 1,
    })
}

struct Target {
    name: String,
    value: String,
    limit: String,
    pass: Option<bool>,
}

/// The target of a login run: no 5xx but the documented 503, no socket error.
fn only_503s(name: String, run: Option<&Run>) -> Target {
    Target {
        name,
        value: run.map_or("n/a".into(), |l| {
            format!(
                "{} (503: {}), {}",
                l.status_5xx - l.status_503,
                l.status_503,
                l.socket_errors
            )
        }),
        limit: "0, 0".into(),
        pass: run.map(|l| l.status_5xx == l.status_503 && l.socket_errors == 0),
    }
}

fn flag(pass: Option<bool>) -> &'static str {
    match pass {
        Some(true) => "met",
        Some(false) => "**missed**",
        None => "n/a",
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(results), Some(out)) = (args.first(), args.get(1)) else {
        return Err("usage: report RESULTS.jsonl OUT_DIR [--machine T] [--db D] [--duration S] [--argon2 M,T,P]".into());
    };
    let mut options = BTreeMap::new();
    for pair in args[2..].chunks(2) {
        if let [key, value] = pair {
            options.insert(key.trim_start_matches("--").to_owned(), value.clone());
        }
    }
    let text = std::fs::read_to_string(results)?;
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let all: Vec<Run> = lines.iter().filter_map(run_of).collect();
    // axum-users over the floor, round by round (both ran back to back in each round).
    let mut round_ratios: Vec<f64> = all
        .iter()
        .filter(|r| r.server == "axum-users" && r.scenario == "me")
        .filter_map(|a| {
            let round = a.extra.get("round")?;
            let floor = all.iter().find(|f| {
                f.server == "floor" && f.scenario == "me" && f.extra.get("round") == Some(round)
            })?;
            (floor.rps > 0.0).then(|| a.rps / floor.rps)
        })
        .collect();
    round_ratios.sort_by(f64::total_cmp);
    let runs = medians(all);
    // The ceiling runs (before and after the login run): their mean is the ceiling.
    let ceilings: Vec<&Value> = lines.iter().filter(|l| l["server"] == "hashing").collect();
    let hashing = ceilings.first().map(|first| {
        let n = ceilings.len() as f64;
        let mean = |key: &str| ceilings.iter().map(|l| num(&l["hashing"], key)).sum::<f64>() / n;
        let mut h = first["hashing"].clone();
        h["hashes_per_s"] = mean("hashes_per_s").into();
        h["hash_ms"] = mean("hash_ms").into();
        h["runs"] = ceilings
            .iter()
            .map(|l| serde_json::json!({"when": l["when"], "hashes_per_s": l["hashing"]["hashes_per_s"]}))
            .collect::<Vec<_>>()
            .into();
        h
    });
    let idle = lines.iter().find(|l| l["scenario"] == "idle1000").cloned();
    let find = |server: &str, scenario: &str| {
        runs.iter()
            .find(|r| r.server == server && r.scenario == scenario)
    };

    let mut targets = Vec::new();
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    let me = find("axum-users", "me");
    let me_rps = me.map(|r| r.rps);
    let r = if round_ratios.is_empty() {
        ratio(me_rps, find("floor", "me").map(|r| r.rps))
    } else {
        Some(round_ratios[round_ratios.len() / 2])
    };
    let rounds = round_ratios
        .iter()
        .map(|r| format!("{r:.2}"))
        .collect::<Vec<_>>()
        .join(", ");
    targets.push(Target {
        name: "GET /users/me vs the floor server (median of the rounds' ratios)".into(),
        value: r.map_or("n/a".into(), |r| format!("{r:.2}× (rounds: {rounds})")),
        limit: "≥ 0.85×".into(),
        pass: r.map(|r| r >= 0.85),
    });
    let r = ratio(me_rps, find("peer", "me").map(|r| r.rps));
    targets.push(Target {
        name: "GET /users/me vs FastAPI Users (1 worker)".into(),
        value: r.map_or("n/a".into(), |r| format!("{r:.1}×")),
        limit: "≥ 25×".into(),
        pass: r.map(|r| r >= 25.0),
    });
    let login = find("axum-users", "login");
    let ceiling = hashing.as_ref().map(|h| num(h, "hashes_per_s"));
    let r = ratio(login.map(|r| r.rps), ceiling);
    targets.push(Target {
        name: "login vs the hashing ceiling (same argon2 parameters)".into(),
        value: match (login, ceiling, r) {
            (Some(l), Some(c), Some(r)) => format!("{:.1} / {c:.1} = {r:.2}×", l.rps),
            _ => "n/a".into(),
        },
        limit: "≥ 0.90×".into(),
        pass: r.map(|r| r >= 0.9),
    });
    targets.push(only_503s(
        "login: 5xx other than 503, socket errors".into(),
        login,
    ));
    let overload = find("axum-users", "login_overload");
    targets.push(only_503s(
        format!(
            "login beyond the hashing queue ({} connections): 5xx other than 503, socket errors",
            overload.map_or(0, |r| r.conns)
        ),
        overload,
    ));
    let base = find("axum-users", "mixed_base");
    let flood = find("axum-users", "mixed_me");
    let r = ratio(flood.map(|r| r.p99), base.map(|r| r.p99));
    let peer_flood = find("peer", "mixed_me").map(|r| r.p99);
    targets.push(Target {
        name: "GET /users/me p99 during a login flood vs without".into(),
        value: match (flood, base, r) {
            (Some(f), Some(b), Some(r)) => format!(
                "{:.2} ms / {:.2} ms = {r:.2}×{}",
                f.p99,
                b.p99,
                peer_flood.map_or(String::new(), |p| format!(" (FastAPI Users: {p:.0} ms)"))
            ),
            _ => "n/a".into(),
        },
        limit: "≤ 3×".into(),
        pass: r.map(|r| r <= 3.0),
    });
    let register = find("axum-users", "register");
    targets.push(Target {
        name: format!(
            "registration: 5xx at {} connections",
            register.map_or(0, |r| r.conns)
        ),
        value: register.map_or("n/a".into(), |r| r.status_5xx.to_string()),
        limit: "0".into(),
        pass: register.map(|r| r.status_5xx == 0 && r.socket_errors == 0),
    });
    let idle_kb = idle.as_ref().and_then(|i| i["rss_kb"].as_u64());
    targets.push(Target {
        name: "RSS with 1,000 idle keep-alive connections".into(),
        value: idle_kb.map_or("n/a".into(), |kb| format!("{:.1} MB", kb as f64 / 1024.0)),
        limit: "≤ 64 MB".into(),
        pass: idle_kb.map(|kb| kb <= 64 * 1024),
    });
    let flood_bound = login.and_then(|l| {
        let before = l.extra["rss_before_kb"].as_u64()?;
        let workers = l.extra["hash_workers"].as_u64()?;
        let memory = l.extra["memory_kib"].as_u64()?;
        Some((
            l.rss_peak_kb?,
            before + workers * memory + 16 * 1024,
            workers,
            memory,
        ))
    });
    targets.push(Target {
        name: "peak RSS under the login flood".into(),
        value: flood_bound.map_or("n/a".into(), |(peak, _, _, _)| {
            format!("{:.1} MB", peak as f64 / 1024.0)
        }),
        limit: flood_bound.map_or("n/a".into(), |(_, bound, workers, memory)| {
            format!(
                "≤ {:.1} MB (RSS before + {workers} workers × {:.0} MiB + 16 MiB)",
                bound as f64 / 1024.0,
                memory as f64 / 1024.0
            )
        }),
        pass: flood_bound.map(|(peak, bound, _, _)| peak <= bound),
    });

    let mut md = String::new();
    let opt = |k: &str| options.get(k).cloned().unwrap_or_else(|| "?".into());
    writeln!(
        md,
        "Machine: {}. Database: {}. {} s per run, wrk on the same machine. argon2id m,t,p = {}.\n",
        opt("machine"),
        opt("db"),
        opt("duration"),
        opt("argon2")
    )?;
    writeln!(
        md,
        "| scenario | server | conns | req/s | p50 ms | p99 ms | max ms | non-2xx | 5xx | socket errors | peak RSS MB |"
    )?;
    writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    let order = [
        "me",
        "cookie",
        "dbtoken",
        "conns1000",
        "login",
        "login_overload",
        "register",
        "mixed_base",
        "mixed_me",
        "mixed_login",
    ];
    let mut sorted: Vec<&Run> = runs.iter().collect();
    sorted.sort_by_key(|r| {
        (
            order.iter().position(|s| *s == r.scenario).unwrap_or(99),
            ["axum-users", "floor", "peer"]
                .iter()
                .position(|s| *s == r.server)
                .unwrap_or(9),
        )
    });
    for r in sorted {
        writeln!(
            md,
            "| {} | {} | {} | {:.1} | {:.2} | {:.2} | {:.1} | {} | {} | {} | {} |",
            if r.rounds > 1 {
                format!("{} (median of {})", r.scenario, r.rounds)
            } else {
                r.scenario.clone()
            },
            r.server,
            r.conns,
            r.rps,
            r.p50,
            r.p99,
            r.max,
            r.non2xx,
            r.status_5xx,
            r.socket_errors,
            r.rss_peak_kb
                .map_or("–".into(), |kb| format!("{:.1}", kb as f64 / 1024.0))
        )?;
    }
    if let Some(h) = &hashing {
        writeln!(
            md,
            "\nHashing ceiling: {:.2} hashes/s on {} threads ({:.1} ms per hash; the mean of {}).",
            num(h, "hashes_per_s"),
            h["threads"],
            num(h, "hash_ms"),
            h["runs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| format!(
                    "{:.2} {} the login run",
                    num(r, "hashes_per_s"),
                    r["when"].as_str().unwrap_or("around")
                ))
                .collect::<Vec<_>>()
                .join(" and ")
        )?;
    }
    if let Some(i) = &idle {
        writeln!(
            md,
            "Idle: {} keep-alive connections held, RSS {:.1} MB (before: {:.1} MB).",
            i["connections"],
            num(i, "rss_kb") / 1024.0,
            num(i, "rss_before_kb") / 1024.0
        )?;
    }
    writeln!(md, "\n| target | measured | limit | |\n|---|---|---|---|")?;
    for t in &targets {
        writeln!(
            md,
            "| {} | {} | {} | {} |",
            t.name,
            t.value,
            t.limit,
            flag(t.pass)
        )?;
    }
    print!("{md}");
    std::fs::write(format!("{out}/results.md"), &md)?;
    let json = json!({
        "machine": opt("machine"),
        "db": opt("db"),
        "duration_s": opt("duration"),
        "argon2": opt("argon2"),
        "runs": runs.iter().map(|r| json!({
            "server": r.server,
            "scenario": r.scenario,
            "conns": r.conns,
            "rps": r.rps,
            "p50_ms": r.p50,
            "p99_ms": r.p99,
            "max_ms": r.max,
            "non_2xx": r.non2xx,
            "status_5xx": r.status_5xx,
            "socket_errors": r.socket_errors,
            "rss_peak_kb": r.rss_peak_kb,
            "rounds": r.rounds,
        })).collect::<Vec<_>>(),
        "hashing": hashing,
        "idle": idle,
        "targets": targets.iter().map(|t| json!({
            "target": t.name,
            "measured": t.value,
            "limit": t.limit,
            "met": t.pass,
        })).collect::<Vec<_>>(),
    });
    std::fs::write(
        format!("{out}/results.json"),
        serde_json::to_string_pretty(&json)?,
    )?;
    Ok(())
}
