//! Is it up yet? A plain HTTP/1.1 GET over loopback, with no client library: all the stack
//! needs is a status code.

use std::time::{Duration, Instant};

use anyhow::bail;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::process::Proc;

/// The status code of `GET path` on `address` (`host:port`), `None` if there was no answer.
pub async fn status(address: &str, host: &str, path: &str) -> Option<u16> {
    let exchange = async {
        let mut stream = TcpStream::connect(address).await.ok()?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut head = [0u8; 64];
        let read = stream.read(&mut head).await.ok()?;
        let line = std::str::from_utf8(&head[..read]).ok()?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(2), exchange)
        .await
        .ok()
        .flatten()
}

/// Waits until `GET path` answers 200, failing early if `proc` exits, and after `timeout`.
pub async fn wait_until_ok(
    address: &str,
    path: &str,
    proc: &mut Proc,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if status(address, "localhost", path).await == Some(200) {
            return Ok(());
        }
        if let Some(exit) = proc.exited() {
            bail!("{} exited ({exit}) before {path} answered", proc.name());
        }
        if Instant::now() >= deadline {
            bail!(
                "{} did not answer {path} on {address} within {timeout:?}",
                proc.name()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
