//! Opens N keep-alive connections to a server, sends one authenticated `GET` on each (so the
//! server holds a live, used connection), then keeps them all open and idle for S seconds.
//! Prints `ready N` once every connection has its answer, so that the caller can read the
//! server's memory while they are held, and `closed` at the end.
//!
//! Usage: `idle_conns HOST:PORT PATH N SECONDS` with the header value in `AUTHORIZATION`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn open(addr: String, request: String) -> Result<TcpStream, String> {
    let mut stream = TcpStream::connect(&addr).await.map_err(|e| e.to_string())?;
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    // Read until the end of the answer's head plus its declared body.
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed before the answer".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            if !text.starts_with("HTTP/1.1 200") {
                return Err(format!(
                    "answer: {}",
                    text.lines().next().unwrap_or_default()
                ));
            }
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return Ok(stream);
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, path, n, seconds] = args.as_slice() else {
        return Err("usage: idle_conns HOST:PORT PATH N SECONDS (header in AUTHORIZATION)".into());
    };
    let n: usize = n.parse()?;
    let seconds: u64 = seconds.parse()?;
    let auth = std::env::var("AUTHORIZATION").unwrap_or_default();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nConnection: keep-alive\r\n\r\n"
    );
    let mut streams = Vec::with_capacity(n);
    // In batches, so the server's accept queue is not the limit.
    for batch in (0..n).collect::<Vec<_>>().chunks(100) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|_| tokio::spawn(open(addr.clone(), request.clone())))
            .collect();
        for task in tasks {
            streams.push(task.await??);
        }
    }
    println!("ready {}", streams.len());
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    drop(streams);
    println!("closed");
    Ok(())
}
