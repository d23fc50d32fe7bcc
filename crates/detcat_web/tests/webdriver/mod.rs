//! A minimal W3C WebDriver client over chromedriver, for what `--dump-dom` cannot do: lay a
//! page out at an exact CSS width (headless Chromium windows are at least 500 px wide) and
//! measure it with a script (WebDriver scripts are not subject to the page's CSP).
//!
//! The driver is `/usr/bin/chromedriver` unless `DETCAT_CHROMEDRIVER` names another; a
//! missing driver FAILS (the caller only gets here when `DETCAT_BROWSER` is set).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A chromedriver process with one browser session whose viewport is `width` CSS pixels.
pub struct Session {
    driver: Child,
    port: u16,
    id: String,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// One HTTP/1.1 request to chromedriver; the JSON answer.
fn call(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // chromedriver keeps the connection open: read the head, then Content-Length bytes.
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut byte).unwrap();
        assert!(n == 1, "{method} {path}: connection closed in the head");
        raw.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: no Content-Length in {head}"));
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    let payload = String::from_utf8_lossy(&body);
    serde_json::from_str(&payload).unwrap_or_else(|e| panic!("{method} {path}: {e}: {payload}"))
}

impl Session {
    /// Starts chromedriver and a headless Chromium whose viewport is `width` × `height`.
    pub fn start(chromium: &std::path::Path, width: u32, height: u32) -> Session {
        let bin = std::env::var_os("DETCAT_CHROMEDRIVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
        assert!(
            bin.is_file(),
            "DETCAT_BROWSER is set but {} does not exist: install chromium-driver",
            bin.display()
        );
        let port = free_port();
        let driver = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--hide-scrollbars", "--no-first-run"],
                "mobileEmulation": {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}}
            }
        }}});
        let answer = call(port, "POST", "/session", Some(&caps));
        let id = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        Session { driver, port, id }
    }

    pub fn goto(&self, url: &str) {
        call(
            self.port,
            "POST",
            &format!("/session/{}/url", self.id),
            Some(&json!({ "url": url })),
        );
    }

    /// Runs `script` (a function body that may `return`) in the page; its return value.
    pub fn eval(&self, script: &str) -> Value {
        let answer = call(
            self.port,
            "POST",
            &format!("/session/{}/execute/sync", self.id),
            Some(&json!({ "script": script, "args": [] })),
        );
        answer["value"].clone()
    }
}

impl Session {
    /// Presses and releases `key` (a WebDriver key code: `\u{E004}` is Tab, `\u{E007}` Enter).
    pub fn press(&self, key: &str) {
        call(
            self.port,
            "POST",
            &format!("/session/{}/actions", self.id),
            Some(
                &json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": [
                    { "type": "keyDown", "value": key }, { "type": "keyUp", "value": key }
                ]}]}),
            ),
        );
    }

    /// A PNG of the viewport.
    pub fn screenshot(&self) -> Vec<u8> {
        let answer = call(
            self.port,
            "GET",
            &format!("/session/{}/screenshot", self.id),
            None,
        );
        base64_decode(answer["value"].as_str().unwrap_or_default())
    }
}

/// Standard base64 (the screenshot's encoding), padding and line breaks ignored.
fn base64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for v in s.bytes().filter_map(value) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| {
            call(self.port, "DELETE", &format!("/session/{}", self.id), None)
        });
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
