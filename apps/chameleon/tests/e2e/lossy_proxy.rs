//! A proxy in front of nginx that loses the answer to the first order: it passes the request
//! on (so the order is stored), waits for nginx's answer, then closes the browser's connection
//! without a word, as a dropped mobile connection would. Everything else is passed both ways.
//!
//! One request per connection (`Connection: close` both ways), which is all a browser needs.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// The `Idempotency-Key` of every order request, in order.
    pub order_keys: Vec<String>,
}

pub struct LossyProxy {
    pub port: u16,
    pub seen: Arc<Mutex<Seen>>,
}

impl LossyProxy {
    /// Listens on a free port, passing everything to `127.0.0.1:upstream`.
    pub async fn start(upstream: u16) -> LossyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let seen = shared.clone();
                tokio::spawn(async move {
                    let _ = pass(client, upstream, seen).await;
                });
            }
        });
        LossyProxy { port, seen }
    }
}

async fn pass(mut client: TcpStream, upstream: u16, seen: Arc<Mutex<Seen>>) -> std::io::Result<()> {
    let request = read_request(&mut client).await?;
    let head = String::from_utf8_lossy(&request).to_string();
    let is_order = head.starts_with("POST /api/v1/store/orders ");
    let first_order = is_order && {
        let mut seen = seen.lock().unwrap();
        let key = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("idempotency-key: ")
                    .or_else(|| l.strip_prefix("Idempotency-Key: "))
            })
            .unwrap_or("")
            .trim()
            .to_owned();
        seen.order_keys.push(key);
        seen.order_keys.len() == 1
    };
    let mut server = TcpStream::connect(("127.0.0.1", upstream)).await?;
    server.write_all(&close_connection(&request)).await?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await?;
    if first_order {
        // The order is stored; the customer never hears of it.
        return Ok(());
    }
    client.write_all(&answer).await?;
    client.shutdown().await
}

/// The request's head and body (by `Content-Length`).
async fn read_request(client: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let n = client.read(&mut buffer).await?;
        if n == 0 {
            return Ok(request);
        }
        request.extend_from_slice(&buffer[..n]);
        if let Some(end) = find(&request, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                return Ok(request);
            }
        }
    }
}

/// `request` with `Connection: close`, so the answer ends with the connection.
fn close_connection(request: &[u8]) -> Vec<u8> {
    let end = find(request, b"\r\n\r\n").unwrap_or(request.len());
    let head = String::from_utf8_lossy(&request[..end]);
    let mut out = String::new();
    for line in head.split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(request.get(end + 4..).unwrap_or_default());
    bytes
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
