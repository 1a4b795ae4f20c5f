//! Desktop load bench: the release app on a demo org with N live calls (default 1,000), in a real
//! window under Xvfb driven through tauri-driver. Reports launch to first screen, demo sign-in, choose
//! every queue to a live board, and the resident memory (PSS and RSS) of all app processes (the app,
//! WebKit's web and network processes) once live and after a minute of churn.
//!
//! Run: `./scripts/measure-desktop.sh` (a throwaway D-Bus session with an unlocked keyring around
//! `cargo bench -p bridgekeeper --bench desktop_load`). `BENCH_CALLS` changes N.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bridgekeeper_desktop_testkit::harness::{
    Emulator, Scratch, start_driver, start_xvfb, wait_for_driver,
};
use bridgekeeper_desktop_testkit::webdriver::Session;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(120);

/// PSS and RSS in KiB of one process, from smaps_rollup (PSS splits shared pages fairly).
fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("Pss:")?, field("Rss:")?))
}

/// Every process as (pid, parent pid, command name).
fn processes() -> Vec<(u32, u32, String)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split at the last ')'.
        let Some((head, tail)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head
            .split_once('(')
            .map(|(_, c)| c.to_owned())
            .unwrap_or_default();
        let ppid = tail
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        out.push((pid, ppid, comm));
    }
    out
}

/// The app's processes: every `bridgekeeper` process and all its descendants (WebKit's helpers).
fn app_memory() -> (Vec<(String, u64, u64)>, u64, u64) {
    let all = processes();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (pid, ppid, _) in &all {
        children.entry(*ppid).or_default().push(*pid);
    }
    let names: HashMap<u32, String> = all.iter().map(|(p, _, c)| (*p, c.clone())).collect();
    let mut stack: Vec<u32> = all
        .iter()
        .filter(|(_, _, c)| c == "bridgekeeper")
        .map(|(p, _, _)| *p)
        .collect();
    let mut rows = Vec::new();
    let (mut pss, mut rss) = (0, 0);
    while let Some(pid) = stack.pop() {
        if let Some((p, r)) = memory_kib(pid) {
            rows.push((names.get(&pid).cloned().unwrap_or_default(), p, r));
            pss += p;
            rss += r;
        }
        stack.extend(children.get(&pid).into_iter().flatten());
    }
    (rows, pss, rss)
}

fn report(label: &str) {
    let (rows, pss, rss) = app_memory();
    println!(
        "memory {label}: PSS {} MiB, RSS {} MiB",
        pss / 1024,
        rss / 1024
    );
    for (name, p, r) in rows {
        println!("  {name:<24} PSS {:>6} KiB  RSS {:>6} KiB", p, r);
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes --bench; anything else (a filter) is not ours to interpret.
    let calls: usize = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let scratch = Scratch::new("load");
    let (_xvfb, display) = start_xvfb();
    let (_driver, url) = start_driver(&display, &scratch.0);
    let http = reqwest::Client::builder().no_proxy().build().expect("http");
    wait_for_driver(&http, &url).await;

    let app = env!("CARGO_BIN_EXE_bridgekeeper");
    let launched = Instant::now();
    let s = Session::start(
        &url,
        json!({ "tauri:options": { "application": app, "args": ["--demo-calls", calls.to_string()] } }),
    )
    .await
    .expect("WebDriver session");
    let demo = s
        .wait_for(
            "//button[normalize-space()='Try the demo organisation']",
            WAIT,
        )
        .await
        .expect("sign-in screen");
    let first_screen = launched.elapsed();
    let emulator = Emulator::of_app(&s, &http).await.expect("the demo org");
    let live_calls = emulator.control.conversations(true).await.len();

    let t = Instant::now();
    s.click(&demo).await.expect("click demo");
    s.wait_for("//label[contains(@class,'check')]/input", WAIT)
        .await
        .expect("queue screen");
    let sign_in = t.elapsed();
    for checkbox in s
        .find_all("//label[contains(@class,'check')]/input")
        .await
        .expect("queues")
    {
        s.click(&checkbox).await.expect("choose queue");
    }
    let t = Instant::now();
    let show = s
        .wait_for("//button[normalize-space()='Show live calls']", WAIT)
        .await
        .expect("show");
    s.click(&show).await.expect("click show");
    s.wait_for(
        "//*[@data-testid='connection-status'][contains(@class,'connection-live')]",
        WAIT,
    )
    .await
    .expect("live");
    s.wait_for("//tbody[@data-conversation-id]", WAIT)
        .await
        .expect("a call on the board");
    let to_board = t.elapsed();
    let total = launched.elapsed();
    let rendered = s
        .find_all("//tbody[@data-conversation-id]")
        .await
        .expect("rows")
        .len();

    println!("desktop_load: demo org with {live_calls} live calls (asked for {calls})");
    println!(
        "  launch to first screen          {:>6} ms",
        first_screen.as_millis()
    );
    println!(
        "  demo sign-in to queue screen    {:>6} ms",
        sign_in.as_millis()
    );
    println!(
        "  all queues chosen to live board {:>6} ms",
        to_board.as_millis()
    );
    println!(
        "  launch to live board (with the clicks) {} ms",
        total.as_millis()
    );
    println!("  call groups in the DOM: {rendered}");
    tokio::time::sleep(Duration::from_secs(5)).await;
    report("live board");
    tokio::time::sleep(Duration::from_secs(60)).await;
    report("after 60 s of churn");
    let _ = s.close().await;
}
