//! The emulator behind the test bed (tests/emulator/serve.py), started for one measurement,
//! and its control API (configuration, call log).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct Emulator {
    pub url: String,
    child: Child,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Emulator {
    pub fn start(
        repo: &Path,
        python: &Path,
        config: &serde_json::Value,
    ) -> Result<Emulator, String> {
        let mut child = Command::new(python)
            .arg(repo.join("tests/emulator/serve.py"))
            .args(["--watch-parent", "--config", &config.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start the emulator with {}: {e} (run scripts/emulator install)",
                    python.display()
                )
            })?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let url = line.trim().to_string();
        if !url.starts_with("http://") {
            let _ = child.kill();
            return Err(format!("the emulator did not start: {line:?}"));
        }
        Ok(Emulator { url, child })
    }

    fn call(&self, method: &str, path: &str) -> Result<String, String> {
        let addr = self.url.trim_start_matches("http://");
        let mut conn = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
        write!(
            conn,
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .map_err(|e| e.to_string())?;
        let mut answer = String::new();
        conn.read_to_string(&mut answer)
            .map_err(|e| e.to_string())?;
        answer
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_string())
            .ok_or_else(|| "no answer from the test bed".to_string())
    }

    /// Builds moto's EC2 models for `region` (a third of a second on its first EC2 request,
    /// default VPC included), so that a measurement does not pay the emulator's warm-up: strata's
    /// own read of a stack no longer touches EC2 when the tagging API's listing finds nothing.
    pub fn warm_up(&self, region: &str) -> Result<(), String> {
        let addr = self.url.trim_start_matches("http://");
        let body = "Action=DescribeVpcs&Version=2016-11-15";
        let mut conn = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
        write!(
            conn,
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/{region}/ec2/aws4_request, \
             SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .map_err(|e| e.to_string())?;
        let mut answer = String::new();
        conn.read_to_string(&mut answer)
            .map_err(|e| e.to_string())?;
        if answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200") {
            Ok(())
        } else {
            Err(format!(
                "the emulator's warm-up call failed: {}",
                answer.lines().next().unwrap_or_default()
            ))
        }
    }

    /// The call log since it was last cleared.
    pub fn log(&self) -> Result<Vec<serde_json::Value>, String> {
        serde_json::from_str(&self.call("GET", "/_testbed/log")?).map_err(|e| e.to_string())
    }

    pub fn clear_log(&self) -> Result<(), String> {
        self.call("DELETE", "/_testbed/log").map(|_| ())
    }
}
