#!/usr/bin/env bash
# Memory of the release app alone, with the demo org's emulator in ANOTHER process (--demo-url), so
# the emulator's world of calls is not counted as the app's. One run measures, in a real window under
# Xvfb driven through WebKitWebDriver:
#   (a) the app with no demo org, left on its sign-in screen: the cost of an empty Tauri window with
#       this app's UI loaded (a bare "hello" window would need a separate crate and says less);
#   (b) for each N in MEASURE_CALLS (default "1000 5000"): a genesys-emulator process with N live calls
#       (load scenario, --churn "$MEASURE_CHURN" calls/min, default 60; its rate limit stays at its
#       default 300/min), the app signed in to it through the demo button, every queue chosen, the
#       board complete ("Live"); then again after MEASURE_SETTLE_SECS (default 60) more of churn.
# PSS and RSS are summed over the app's processes only: every descendant of our WebKitWebDriver
# (bridgekeeper, WebKitWebProcess, WebKitNetworkProcess and any sandbox helper), never the emulator,
# whose own figures are printed beside them for scale.
#
# Needs what ./scripts/test.sh installs. Set CARGO_LOCK to a lock file to run the builds under flock.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_apt_packages
ensure_rust
ensure_node
ensure_ui_deps
build_ui

cargo_locked() {
  if [ -n "${CARGO_LOCK:-}" ]; then flock "$CARGO_LOCK" cargo "$@"; else cargo "$@"; fi
}
log "building the release app and the emulator"
cargo_locked build --release --locked -p bridgekeeper --features bridgekeeper/custom-protocol -p genesys-emulator

command -v WebKitWebDriver >/dev/null || die "WebKitWebDriver is missing (apt-get install webkit2gtk-driver)"
export MEASURE_APP="$CARGO_TARGET_DIR/release/bridgekeeper"
export MEASURE_EMULATOR="$CARGO_TARGET_DIR/release/genesys-emulator"
export MEASURE_CALLS="${MEASURE_CALLS:-1000 5000}"
export MEASURE_CHURN="${MEASURE_CHURN:-60}"
export MEASURE_SETTLE_SECS="${MEASURE_SETTLE_SECS:-60}"
export MEASURE_WAIT_SECS="${MEASURE_WAIT_SECS:-900}"

# Everything of this run (also the keyring session's folder) lives under one folder removed at the end.
work="$(mktemp -d "${TMPDIR:-/tmp}/bk-measure.XXXXXX")"
cleanup() {
  # The private session's document portal may hold its mount under the folder for a moment.
  for _ in $(seq 20); do rm -rf "$work" 2>/dev/null && return 0; sleep 0.5; done
  echo "warning: could not remove $work" >&2
}
trap cleanup EXIT
driver="$work/measure.py"
export MEASURE_DONE="$work/done"
cat > "$driver" <<'PY'
"""Drives the measurement; see scripts/measure-desktop-external.sh for what and why."""
import json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request

APP = os.environ["MEASURE_APP"]
EMULATOR = os.environ["MEASURE_EMULATOR"]
CALLS = [int(n) for n in os.environ["MEASURE_CALLS"].split()]
CHURN = os.environ["MEASURE_CHURN"]
SETTLE = int(os.environ["MEASURE_SETTLE_SECS"])
WAIT = int(os.environ["MEASURE_WAIT_SECS"])
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
started = []  # (name, Popen), stopped in reverse order at the end


def say(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=180):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with NO_PROXY.open(req, timeout=timeout) as r:
            return json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{method} {url}: {e.code} {e.read()[:500]!r}") from None


def stop(proc, name):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            say(f"{name} ignored SIGTERM; killing it")
            proc.kill()
            proc.wait()


class Session:
    def __init__(self, base, args):
        caps = {"webkitgtk:browserOptions": {"binary": APP, "args": args}}
        value = http("POST", f"{base}/session", {"capabilities": {"alwaysMatch": caps}})["value"]
        self.url = f"{base}/session/{value['sessionId']}"

    def call(self, method, path, body=None):
        return http(method, self.url + path, body)["value"]

    def find_all(self, xpath):
        return [e[ELEMENT] for e in self.call("POST", "/elements", {"using": "xpath", "value": xpath})]

    def wait_for(self, xpath, timeout):
        deadline = time.monotonic() + timeout
        while True:
            found = self.find_all(xpath)
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing matched {xpath} within {timeout} s; page: {self.text()[:800]}")
            time.sleep(0.25)

    def click(self, element):
        self.call("POST", f"/element/{element}/click", {})

    def text(self):
        return self.call("POST", "/execute/sync", {"script": "return document.body ? document.body.innerText : '';", "args": []})

    def invoke(self, command):
        script = ("const done = arguments[arguments.length - 1];"
                  f"window.__TAURI_INTERNALS__.invoke('{command}').then(done, (err) => done({{ error: err }}));")
        return self.call("POST", "/execute/async", {"script": script, "args": []})

    def close(self):
        try:
            self.call("DELETE", "")
        except Exception as e:  # the app may already be gone
            say(f"closing the session: {e}")


def children_map():
    kids = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(pid))
    return kids


def name_of(pid):
    try:
        argv0 = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[0].decode(errors="replace")
        return os.path.basename(argv0) or open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return "?"


def pss_rss(pid):
    try:
        text = open(f"/proc/{pid}/smaps_rollup").read()
    except OSError:
        return None
    field = lambda k: int(re.search(rf"^{k}:\s+(\d+)", text, re.M).group(1))
    return field("Pss"), field("Rss")


def tree_memory(root, include_root):
    """[(name, pss KiB, rss KiB)] of root's descendants (and root itself if asked)."""
    kids = children_map()
    stack, rows = ([root] if include_root else list(kids.get(root, []))), []
    while stack:
        pid = stack.pop()
        m = pss_rss(pid)
        if m:
            rows.append((name_of(pid), *m))
        stack.extend(kids.get(pid, []))
    return rows


def app_pids(driver_pid):
    return [p for p in children_map().get(driver_pid, [])]


results = []  # (label, rows, emulator rows, note)


def measure(label, driver_pid, emulator=None, note=""):
    rows = tree_memory(driver_pid, include_root=False)
    emu = tree_memory(emulator.pid, include_root=True) if emulator else []
    results.append((label, rows, emu, note))
    pss, rss = sum(r[1] for r in rows), sum(r[2] for r in rows)
    say(f"  {label}: app PSS {pss / 1024:.0f} MiB, RSS {rss / 1024:.0f} MiB " + " ".join(f"[{n} {p // 1024}/{r // 1024}]" for n, p, r in rows))


def wait_app_gone(driver_pid):
    deadline = time.monotonic() + 20
    while app_pids(driver_pid) and time.monotonic() < deadline:
        time.sleep(0.2)


DEMO_BUTTON = "//button[normalize-space()='Try the demo organisation']"
CHECKBOX = "//label[contains(@class,'check')]/input"
SHOW = "//button[normalize-space()='Show live calls']"
LIVE = "//*[@data-testid='connection-status'][contains(@class,'connection-live')]"
STATUS = "//*[@data-testid='connection-status']"


def fresh_folders(scratch):
    """Empty app folders per launch: no remembered queues or window from the previous scenario."""
    for d in ("data", "config", "cache"):
        shutil.rmtree(f"{scratch}/{d}", ignore_errors=True)
        os.makedirs(f"{scratch}/{d}")


def main():
    scratch = tempfile.mkdtemp(prefix="bk-measure-")
    try:
        xvfb = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        started.append(("Xvfb", xvfb))
        display = ":" + xvfb.stdout.readline().decode().strip()
        env = dict(os.environ, DISPLAY=display, WEBKIT_DISABLE_COMPOSITING_MODE="1", TAURI_WEBVIEW_AUTOMATION="true",
                   XDG_DATA_HOME=f"{scratch}/data", XDG_CONFIG_HOME=f"{scratch}/config", XDG_CACHE_HOME=f"{scratch}/cache")
        port = free_port()
        log = open(f"{scratch}/driver.log", "w")
        driver = subprocess.Popen(["WebKitWebDriver", f"--port={port}"], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        started.append(("WebKitWebDriver", driver))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                http("GET", f"{base}/status", timeout=2)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError("WebKitWebDriver did not answer within 20 s")
                time.sleep(0.1)

        # (a) no demo org: the sign-in screen.
        say("(a) the app with no demo org, on its sign-in screen")
        fresh_folders(scratch)
        t = time.monotonic()
        s = Session(base, [])
        s.wait_for(DEMO_BUTTON, 120)
        first = time.monotonic() - t
        time.sleep(5)
        measure("sign-in screen, no demo org", driver.pid, note=f"first screen {first:.1f} s")
        s.close()
        wait_app_gone(driver.pid)

        for n in CALLS:
            say(f"(b) emulator in another process with {n} live calls, churn {CHURN}/min")
            emulator = subprocess.Popen([EMULATOR, "--listen", "127.0.0.1:0", "--scenario", "load",
                                         "--conversations", str(n), "--churn", CHURN],
                                        stdout=subprocess.PIPE, stderr=open(f"{scratch}/emulator-{n}.log", "w"))
            started.append((f"emulator {n}", emulator))
            line = emulator.stdout.readline().decode().strip()
            m = re.match(r"listening on (http://\S+)", line)
            if not m:
                raise RuntimeError(f"the emulator printed {line!r}, not its address")
            url = m.group(1).rstrip("/")
            live = len(http("GET", f"{url}/_emulator/conversations?active=true")["entities"])
            fresh_folders(scratch)
            s = Session(base, ["--demo-url", url])
            demo = s.wait_for(DEMO_BUTTON, 120)
            time.sleep(3)
            measure(f"{n} calls: sign-in screen", driver.pid, emulator)
            t = time.monotonic()
            s.click(demo)
            s.wait_for(CHECKBOX, 120)
            boxes = s.find_all(CHECKBOX)
            for box in boxes:
                s.click(box)
            s.click(s.wait_for(SHOW, 60))
            t = time.monotonic()
            deadline, last = t + WAIT, ""
            while not s.find_all(LIVE):
                status = s.find_all(STATUS)
                text = s.call("GET", f"/element/{status[0]}/text") if status else ""
                if text != last:
                    say(f"    {time.monotonic() - t:6.1f} s  {text}")
                    last = text
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the board was not Live within {WAIT} s: {text}")
                time.sleep(1)
            to_live = time.monotonic() - t
            rows = len(s.find_all("//tbody[@data-conversation-id]"))
            say(f"    Live after {to_live:.1f} s, {rows} call groups in the DOM")
            time.sleep(5)
            note = f"{live} live at start, {len(boxes)} queues, Live in {to_live:.0f} s, {rows} groups in DOM"
            measure(f"{n} calls: Live board", driver.pid, emulator, note)
            time.sleep(SETTLE)
            now = len(http("GET", f"{url}/_emulator/conversations?active=true")["entities"])
            live_still = bool(s.find_all(LIVE))
            measure(f"{n} calls: +{SETTLE} s churn", driver.pid, emulator,
                    f"{now} live now, board {'Live' if live_still else 'NOT Live'}")
            s.invoke("sign_out")  # the keyring must not resume this org at the next launch
            s.close()
            wait_app_gone(driver.pid)
            stop(emulator, f"emulator {n}")
    finally:
        for name, proc in reversed(started):
            stop(proc, name)
        shutil.rmtree(scratch, ignore_errors=True)

    mib = lambda k: f"{k / 1024:7.1f}"
    print()
    print("Memory of the app's own processes (MiB); the emulator runs in a separate process, shown apart.")
    print(f"{'scenario':<34} {'app PSS':>8} {'app RSS':>8} | {'main':>6} {'web':>6} {'net':>6} (PSS) | {'emu PSS':>8} {'emu RSS':>8}  note")
    for label, rows, emu, note in results:
        by = lambda pred: sum(p for n, p, _ in rows if pred(n))
        main_ = by(lambda n: n == "bridgekeeper")
        web = by(lambda n: "WebProcess" in n)
        net = by(lambda n: "NetworkProcess" in n)
        pss, rss = sum(r[1] for r in rows), sum(r[2] for r in rows)
        epss, erss = sum(r[1] for r in emu), sum(r[2] for r in emu)
        emu_cols = f"{mib(epss):>8} {mib(erss):>8}" if emu else f"{'-':>8} {'-':>8}"
        print(f"{label:<34} {mib(pss):>8} {mib(rss):>8} | {main_ / 1024:6.1f} {web / 1024:6.1f} {net / 1024:6.1f}       | {emu_cols}  {note}")
    names = sorted({n for _, rows, _, _ in results for n, _, _ in rows})
    print(f"app processes counted: {', '.join(names)}")
    print(f"load average at the end: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    open(os.environ["MEASURE_DONE"], "w").write("ok\n")


main()
PY

log "load average before measuring: $(cut -d" " -f1-3 /proc/loadavg)"
log "measuring (a) the sign-in screen and (b) an external emulator at: $MEASURE_CALLS live calls"
rc=0
# in_keyring_session can fail only at removing its folder (the portal's mount, above): the
# measurement succeeded if the driver said so.
TMPDIR="$work" in_keyring_session "python3 '$driver'" || rc=$?
[ -f "$MEASURE_DONE" ] || die "the measurement did not complete (exit status $rc)"
