//! The real-browser check of report.html: headless Chromium opens the
//! fixture run's report from disk with JavaScript disabled and no network,
//! takes a screenshot and dumps the DOM; the page must render (a non-blank
//! screenshot of the requested size with the charts' colours in it), carry
//! its title, and log no console message (the page's Content-Security-Policy
//! turns any attempt to load something external into a console error).
//!
//! Chromium is required: without it this test fails and says how to install
//! it (`.ci/run` installs the Debian package `chromium` when it is missing).
//! `ALPHASIM_CHROMIUM` may name another binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 1400;

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("ALPHASIM_CHROMIUM") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "ALPHASIM_CHROMIUM={} is not a file: point it at a Chromium/Chrome binary, or unset it \
             and install Chromium with `apt-get update && apt-get install -y chromium`",
            p.display()
        );
        return p;
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("chromium"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "the browser check needs headless Chromium and none was found (no `chromium` on PATH, \
             ALPHASIM_CHROMIUM unset). Install it with `apt-get update && apt-get install -y chromium` \
             (Debian/Ubuntu; .ci/run does this in CI) or point ALPHASIM_CHROMIUM at a Chromium/Chrome binary."
        )
    })
}

/// Runs Chromium headless on `page` with a fresh profile whose content
/// settings block JavaScript, DNS resolving nothing, and no background
/// network services.
fn headless(page: &Path, extra: &[String]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    // `--blink-settings=scriptEnabled=false` also stops headless mode's own
    // screenshot machinery; the profile's content setting blocks page scripts only.
    std::fs::create_dir(profile.path().join("Default")).unwrap();
    std::fs::write(
        profile.path().join("Default/Preferences"),
        r#"{"profile":{"default_content_setting_values":{"javascript":2}}}"#,
    )
    .unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            &format!("--window-size={WIDTH},{HEIGHT}"),
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn console_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn test_browser_chromium_renders_the_fixture_report() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    crate::common::default_run().write(&run_dir).unwrap();
    let page = run_dir.join("report.html").canonicalize().unwrap();

    let shot = dir.path().join("shot.png");
    let out = headless(&page, &[format!("--screenshot={}", shot.display())]);
    assert_eq!(
        console_lines(&out),
        Vec::<String>::new(),
        "console messages"
    );
    assert!(shot.is_file(), "{} wrote no screenshot", browser.display());

    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().expect("a sane image size")];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let non_white = pixels
        .iter()
        .filter(|p| p[0] < 240 || p[1] < 240 || p[2] < 240)
        .count();
    // The strategy line's blue (0, 114, 178): the NAV chart starts in the first screen.
    let blue = pixels
        .iter()
        .filter(|p| i32::from(p[2]) > i32::from(p[0]) + 80 && p[2] > 120)
        .count();
    let share = non_white as f64 / pixels.len() as f64;
    assert!(
        share > 0.03,
        "the screenshot is blank: {:.2}% non-white",
        share * 100.0
    );
    assert!(
        blue > 300,
        "no chart colours in the screenshot ({blue} blue pixels)"
    );

    let out = headless(&page, &["--dump-dom".to_owned()]);
    assert_eq!(
        console_lines(&out),
        Vec::<String>::new(),
        "console messages"
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<title>alphasim report: default</title>"),
        "title missing from the DOM"
    );
    assert!(dom.contains("<h1>alphasim report: default</h1>"));
    assert!(
        dom.matches("<svg").count() >= 10,
        "the charts are in the DOM"
    );
}

/// The profile really blocks JavaScript: a script that would rewrite the
/// page leaves the DOM untouched.
#[test]
fn test_browser_profile_blocks_javascript() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("js.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><title>js</title></head><body><p id=\"p\">static</p>\
         <script>document.getElementById('p').textContent = 'script ran';</script></body></html>",
    )
    .unwrap();
    let out = headless(&page.canonicalize().unwrap(), &["--dump-dom".to_owned()]);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains(">static</p>"), "{dom}");
    assert!(!dom.contains(">script ran</p>"), "JavaScript ran: {dom}");
}

/// The factor tear sheet opens in Chromium from disk with no console
/// message (nothing blocked by its Content-Security-Policy) and its charts
/// in the DOM.
#[test]
fn test_browser_chromium_renders_the_factor_tear_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = crate::common::root().join("fixtures/tiny");
    let spec = crate::common::spec_text(
        "data = \".\"\nindex = \"synth\"\nfactors = [\"reversal\"]\n[model]\nkind = \"ew\"\n",
        &tiny,
    );
    let market = alphasim::data::load_market(&tiny, &Default::default()).unwrap();
    let mut progress = |_: usize, _: usize| {};
    let report = alphasim::research::factor_report::factor_report(
        &spec,
        &market,
        &Default::default(),
        &mut progress,
    )
    .unwrap();
    let page = dir.path().join("factor_report.html");
    report.write_html(&page).unwrap();
    let out = headless(&page.canonicalize().unwrap(), &["--dump-dom".to_owned()]);
    assert_eq!(
        console_lines(&out),
        Vec::<String>::new(),
        "console messages"
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<h1>alphasim factor report"),
        "title missing from the DOM"
    );
    assert!(
        dom.matches("<svg").count() >= 5,
        "the charts are in the DOM"
    );
}
