//! The HTML report (SPEC §10.5): its numbers are the reports' (totals against summary.csv,
//! the page of a run equals the page of its report directory), everything from the
//! scenario is escaped text, it is written under the output contract, it stays small at
//! the limit and for a fleet, and a real browser renders it with no request and no error.
//!
//! Browser tests need Debian's `chromium`; without it they skip, saying so — unless
//! `TRUSTSIM_REQUIRE_BROWSER=1` (set by `.ci/run`), which makes a missing browser a
//! failure. `TRUSTSIM_SCREENSHOT_DIR=docs` keeps the screenshots (for docs/*.png).

use crate::util::root;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Instant;
use trustsim::generate::{generate, CycleMix, GenerateParams};

const MIB: usize = 1 << 20;

fn bin(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_trustsim"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run trustsim")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `run --html` of `scenario` into `out`; the page's text.
fn run_html(scenario: &Path, out: &Path) -> String {
    let o = bin(&["run", s(scenario), "--html", "--out", s(out)], &root());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(out.join("report.html")).expect("report.html")
}

/// The values of `attr="…"` in `html`, with the `data-value` of the same tag.
fn data_values(html: &str, attr: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let key = format!("{attr}=\"");
    let mut rest = html;
    while let Some(i) = rest.find(&key) {
        let after = &rest[i + key.len()..];
        let name = after.split('"').next().unwrap_or("").to_string();
        let tag_end = after.find('>').unwrap_or(after.len());
        let tag = &after[..tag_end];
        let value = tag
            .split("data-value=\"")
            .nth(1)
            .and_then(|v| v.split('"').next())
            .unwrap_or("")
            .to_string();
        out.push((name, value));
        rest = &after[tag_end..];
    }
    out
}

/// Σ of each amount column of summary.csv, by column name.
fn summary_sums(dir: &Path) -> Vec<(String, Decimal)> {
    let text = std::fs::read_to_string(dir.join("summary.csv")).expect("summary.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let mut sums = vec![Decimal::ZERO; header.len()];
    for line in lines {
        for (i, cell) in line.split(',').enumerate().skip(1) {
            sums[i] += Decimal::from_str(cell).expect("amount");
        }
    }
    header
        .iter()
        .zip(sums)
        .skip(1)
        .map(|(h, v)| (h.to_string(), v))
        .collect()
}

#[test]
fn the_totals_shown_are_summary_csv_summed() {
    for name in ["quickstart", "l2-main-arrears", "what-if-establish-later"] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join(name);
        let html = run_html(&root().join("scenarios").join(name), &out);
        let shown = data_values(&html, "data-total");
        let sums = summary_sums(&out);
        assert_eq!(shown.len(), 8, "{name}: eight totals shown");
        for ((metric, value), (column, sum)) in shown.iter().zip(&sums) {
            assert_eq!(metric, column, "{name}");
            let value = Decimal::from_str(value).expect("a data-value amount");
            assert_eq!(value, *sum, "{name}: {metric}");
        }
    }
}

#[test]
fn a_report_directory_draws_the_page_its_run_drew() {
    // The page comes from one model: a run's view and the reports read back give the same
    // bytes (the directory is named like the scenario, so the titles agree too).
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("quickstart");
    let from_run = run_html(&root().join("scenarios/quickstart"), &out);
    let file = tmp.path().join("again.html");
    let o = bin(&["report", s(&out), "--out", s(&file)], &root());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let from_dir = std::fs::read_to_string(&file).expect("page");
    assert!(from_run == from_dir, "the two pages differ");
    // It is the quickstart's story: the deferred request and the B4 interval are on it.
    assert!(from_run.contains("T5.1") && from_run.contains("B4"));
    assert!(from_run.contains(r#"data-chart="timeline""#));
}

#[test]
fn run_html_is_published_with_the_reports_and_removed_by_a_run_without_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("r");
    run_html(&root().join("scenarios/quickstart"), &out);
    let marker = std::fs::read_to_string(out.join(".trustsim-reports")).expect("marker");
    assert!(marker.lines().any(|l| l == "report.html"), "{marker}");
    let o = bin(&["run", "scenarios/quickstart", "--out", s(&out)], &root());
    assert!(o.status.success());
    assert!(
        !out.join("report.html").exists(),
        "a run without --html removes it"
    );
}

#[test]
fn report_writes_into_a_report_directory_only_when_trustsim_wrote_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("r");
    let o = bin(&["run", "scenarios/quickstart", "--out", s(&out)], &root());
    assert!(o.status.success());
    std::fs::write(out.join("NOTES.md"), "mine").expect("notes");
    let before = std::fs::read(out.join("bills.csv")).expect("bills");
    let o = bin(&["report", s(&out)], &root());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("report.html").is_file());
    let marker = std::fs::read_to_string(out.join(".trustsim-reports")).expect("marker");
    assert!(marker.lines().any(|l| l == "report.html"), "{marker}");
    assert_eq!(std::fs::read(out.join("bills.csv")).expect("bills"), before);
    assert_eq!(
        std::fs::read_to_string(out.join("NOTES.md")).expect("kept"),
        "mine"
    );
    // Listed, so a later run (with or without --html) may replace or remove it.
    let o = bin(&["run", "scenarios/quickstart", "--out", s(&out)], &root());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.join("report.html").exists());

    // A directory trustsim did not mark: refused without --out, nothing written.
    let foreign = tmp.path().join("copied");
    std::fs::create_dir(&foreign).expect("dir");
    for f in trustsim::report::REPORT_FILES {
        std::fs::copy(out.join(f), foreign.join(f)).expect("copy");
    }
    let o = bin(&["report", s(&foreign)], &root());
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out"));
    assert!(!foreign.join("report.html").exists());
    // --out inside the directory read is refused (exit 3); elsewhere it is written.
    let o = bin(
        &["report", s(&foreign), "--out", s(&foreign.join("x.html"))],
        &root(),
    );
    assert_eq!(o.status.code(), Some(3));
    let file = tmp.path().join("page.html");
    let o = bin(&["report", s(&foreign), "--out", s(&file)], &root());
    assert!(o.status.success());
    assert!(file.is_file());
    // A malformed report is a located problem (exit 2), not a page.
    std::fs::write(foreign.join("summary.csv"), "account_id\nx\n").expect("break");
    let o = bin(&["report", s(&foreign), "--out", s(&file)], &root());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("summary.csv:1"));
}

/// A scenario whose every id and name is markup or script.
fn hostile_scenario(dir: &Path) -> [&'static str; 3] {
    let main = "<script>document.title='PWNED'</script>";
    let linked = "\"onload=document.title='PWNED' x=\"";
    let other = "</svg><img src=x onerror=\"document.title='PWNED'\">";
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    std::fs::create_dir_all(dir).expect("dir");
    let files = [
        (
            "scenario.toml",
            "name = \"hostile\"\ndescription = \"<b>bold</b>\"\nstart = \"2026-03-01\"\nend = \"2026-03-05\"\n".to_string(),
        ),
        (
            "accounts.csv",
            format!(
                "account_id,enterprise_id,balance,low_balance_threshold\n{},e,100.00,50.00\n{},e,1.00,\n{},e,0.00,\n",
                q(main),
                q(linked),
                q(other)
            ),
        ),
        (
            "resources.csv",
            format!(
                "resource_id,account_id,product,billing_method,cycle\n{},{},{},pay_as_you_go,daily\n{},{},ecs,pay_as_you_go,daily\n",
                q("<r1>"),
                q(linked),
                q("<i>prod</i>"),
                q("r2\"'"),
                q(other)
            ),
        ),
        (
            "usage.csv",
            format!(
                "time,resource_id,amount\n2026-03-01T10:00:00,{},5.00\n2026-03-02T10:00:00,{},5.00\n2026-03-03T10:00:00,{},30.00\n",
                q("<r1>"),
                q("<r1>"),
                q("r2\"'")
            ),
        ),
        (
            "events.csv",
            format!(
                "time,kind,account_id,main_id,resource_id,amount,value\n2026-03-01T12:00:00,establish,{},{},,,\n2026-03-02T12:00:00,cost_analysis,{},,,,\n",
                q(linked),
                q(main),
                q(linked)
            ),
        ),
        (
            "coupons.csv",
            format!(
                "coupon_id,account_id,amount,valid_from\n{},{},3.00,2026-03-01\n",
                q("<c>&amp;"),
                q(main)
            ),
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
    [main, linked, other]
}

#[test]
fn hostile_ids_are_text_never_markup() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("hostile");
    let ids = hostile_scenario(&dir);
    let html = run_html(&dir, &tmp.path().join("out"));
    // The only script element is the page's own, and no hostile tag made it through.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(!html.contains("<img"));
    assert!(!html.contains("\"onload="));
    assert!(html.contains("&quot;onload=document.title="));
    assert!(!html.contains("<i>prod</i>"));
    // The ids show, escaped.
    assert!(html.contains("&lt;script&gt;document.title='PWNED'&lt;/script&gt;"));
    assert!(html.contains("&lt;/svg&gt;&lt;img src=x onerror="));
    // And in a browser nothing runs and the text is there.
    if let Some(page) = browse(&tmp.path().join("out/report.html"), "hostile") {
        assert!(!page.dom.contains("<title>PWNED"), "a script ran");
        assert!(page.dom.contains("&lt;script&gt;document.title="));
        assert_eq!(page.dom.matches("<script").count(), 1);
        assert!(!page.dom.contains("<img"), "an element was injected");
        for id in ids {
            // A text node, serialized: only &, < and > escaped.
            let text = id
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            assert!(page.dom.contains(&text), "{id:?} does not show as text");
        }
        page.assert_clean();
    }
}

/// What a headless browser made of a page.
struct Browsed {
    dom: String,
    log: String,
    millis: u128,
    bytes: usize,
}

impl Browsed {
    /// The signs in the browser's log of an attempted request (the page's policy refuses
    /// and logs each one) or of a console message or page error.
    fn problems(&self) -> Vec<&'static str> {
        [
            "Refused to",
            "Content Security Policy",
            "Uncaught",
            ":CONSOLE",
            "net::ERR",
        ]
        .into_iter()
        .filter(|bad| self.log.contains(bad))
        .collect()
    }

    fn assert_clean(&self) {
        let found = self.problems();
        assert!(
            found.is_empty(),
            "{found:?} in the browser log:\n{}",
            self.log
        );
    }
}

fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|b| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(b))
                .find(|p| p.is_file())
        })
    });
    if found.is_none() {
        assert!(
            std::env::var("TRUSTSIM_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "TRUSTSIM_REQUIRE_BROWSER=1 but no chromium on PATH"
        );
        eprintln!("SKIPPED: no chromium on PATH (apt-get install chromium); the browser checks did not run");
    }
    found
}

fn headless(browser: &Path, profile: &Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// Renders `file` in headless chromium: the DOM after load, the browser's log, and the
/// wall time of a screenshot (kept as `NAME.png` under `TRUSTSIM_SCREENSHOT_DIR`). None
/// when there is no browser.
fn browse(file: &Path, name: &str) -> Option<Browsed> {
    let browser = chromium()?;
    let tmp = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}", file.canonicalize().expect("page").display());
    let shots = std::env::var_os("TRUSTSIM_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let shot = shots.join(format!("report-{name}.png"));
    let clock = Instant::now();
    let o = headless(&browser, &tmp.path().join("p1"))
        .arg("--window-size=1200,2400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("chromium");
    let millis = clock.elapsed().as_millis();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(shot.is_file(), "no screenshot");
    let mut log = String::from_utf8_lossy(&o.stderr).into_owned();
    let d = headless(&browser, &tmp.path().join("p2"))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium");
    assert!(d.status.success(), "{}", String::from_utf8_lossy(&d.stderr));
    log.push_str(&String::from_utf8_lossy(&d.stderr));
    eprintln!("{name}: screenshot in {millis} ms");
    Some(Browsed {
        dom: String::from_utf8_lossy(&d.stdout).into_owned(),
        log,
        millis,
        bytes: std::fs::metadata(file).map_or(0, |m| m.len() as usize),
    })
}

#[test]
fn the_browser_checks_catch_a_request_and_a_console_error() {
    // The checks themselves can fail: a page with the same policy that tries to load an
    // image from the network and logs an error is caught.
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = tmp.path().join("bad.html");
    std::fs::write(
        &bad,
        format!(
            "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"{}\"></head><body><img src=\"http://192.0.2.1/x.png\"><script>console.error('boom')</script></body></html>",
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
        ),
    )
    .expect("write");
    if let Some(page) = browse(&bad, "negative-control") {
        let found = page.problems();
        assert!(
            found.contains(&"Content Security Policy") && found.contains(&":CONSOLE"),
            "the request and the error went unnoticed:\n{}",
            page.log
        );
        assert!(
            page.log
                .contains("violates the following Content Security Policy"),
            "{}",
            page.log
        );
    }
}

fn assert_charts(dom: &str, charts: &[&str]) {
    for c in charts {
        assert!(
            dom.contains(&format!("data-chart=\"{c}\"")),
            "chart {c} missing"
        );
    }
}

#[test]
fn the_quickstart_renders_in_a_browser() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("quickstart");
    run_html(&root().join("scenarios/quickstart"), &out);
    if let Some(page) = browse(&out.join("report.html"), "quickstart") {
        page.assert_clean();
        assert_charts(
            &page.dom,
            &["timeline", "availability", "balance", "coupons", "invoices"],
        );
        assert!(page.dom.contains("data-total=\"paid_amount\""));
    }
}

#[test]
fn a_comparison_renders_side_by_side_in_a_browser() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("compare.html");
    let o = bin(
        &[
            "compare",
            "scenarios/what-if-establish-later",
            "--format",
            "html",
            "--out",
            s(&file),
        ],
        &root(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&file).expect("page");
    // Differences first: the first totals row is one that differs.
    let first_row = html
        .split("<tbody>")
        .nth(1)
        .and_then(|t| t.split("</tr>").next())
        .expect("a totals row");
    assert!(first_row.contains("class=\"diff\""), "{first_row}");
    assert!(html.contains("data-side=\"a\"") && html.contains("data-side=\"b\""));
    if let Some(page) = browse(&file, "compare") {
        page.assert_clean();
        assert_charts(&page.dom, &["compare"]);
    }
}

/// Renders a generated scenario's page without writing its reports (only the page is
/// wanted): load, simulate, lay out.
fn generated_page(params: &GenerateParams, dir: &Path) -> PathBuf {
    generate(params, dir).expect("generate");
    let scenario = trustsim::scenario::load(dir).expect("load");
    let results = trustsim::simulate(&scenario).expect("simulate");
    let html = trustsim::html::of_run(trustsim::report::model::View::new(&scenario, &results))
        .expect("page");
    let file = dir.with_extension("html");
    std::fs::write(&file, html).expect("write page");
    file
}

#[test]
fn the_limit_300_page_is_small_and_renders_in_a_browser() {
    // benches/common's limit_300: GenerateParams' defaults.
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = generated_page(&GenerateParams::default(), &tmp.path().join("limit300"));
    let html = std::fs::read_to_string(&file).expect("page");
    assert!(html.len() <= 5 * MIB, "{} bytes", html.len());
    // Aggregated: nowhere near one shape per linked account and hour.
    assert!(html.matches("<rect").count() < 5_000);
    if let Some(page) = browse(&file, "limit300") {
        page.assert_clean();
        assert_charts(
            &page.dom,
            &["timeline", "availability", "balance", "coupons", "invoices"],
        );
        eprintln!("limit_300: {} bytes, {} ms", page.bytes, page.millis);
    }
}

#[test]
fn a_16_main_fleet_page_stays_under_5_mib() {
    // The fleet of benches/common, shortened (the page's size grows with accounts and
    // events, not with hours).
    let params = GenerateParams {
        mains: 16,
        resources_per_account: 1,
        days: 3,
        cycles: CycleMix {
            hourly: 1,
            daily: 1,
            weekly: 0,
            monthly: 0,
        },
        ..GenerateParams::default()
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = generated_page(&params, &tmp.path().join("fleet"));
    let html = std::fs::read_to_string(&file).expect("page");
    assert!(html.len() <= 5 * MIB, "{} bytes", html.len());
    assert!(html.contains("Fleet overview"));
    assert_eq!(html.matches("<section class=\"group\"").count(), 32);
    if let Some(page) = browse(&file, "fleet") {
        page.assert_clean();
        eprintln!("fleet: {} bytes, {} ms", page.bytes, page.millis);
    }
}
