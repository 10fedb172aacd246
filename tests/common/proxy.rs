//! A loopback TCP forwarder standing between a server and its database (or Redis), so a
//! test can take the database away and give it back: [`Proxy::stop`] cuts every open
//! connection and closes the port, so new connections are refused as by a stopped database
//! server; [`Proxy::resume`] listens on the same port again.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A running forwarder to one target.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    target: String,
    links: Arc<Mutex<Vec<AbortHandle>>>,
    accept: Mutex<Option<AbortHandle>>,
}

impl Proxy {
    /// Forwards a fresh loopback port to `target` ("host:port").
    pub async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let proxy = Self {
            addr: listener.local_addr().expect("proxy address"),
            target,
            links: Arc::default(),
            accept: Mutex::new(None),
        };
        proxy.listen(listener);
        proxy
    }

    fn listen(&self, listener: TcpListener) {
        let (target, links) = (self.target.clone(), self.links.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links.lock().expect("links").push(link.abort_handle());
            }
        });
        *self.accept.lock().expect("accept") = Some(accept.abort_handle());
    }

    /// Takes the target away, as a stopped server: open connections are cut and the port
    /// refuses connections.
    pub fn stop(&self) {
        if let Some(accept) = self.accept.lock().expect("accept").take() {
            accept.abort();
        }
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    /// Gives the target back on the same port.
    pub async fn resume(&self) {
        // The aborted accept task drops its listener at its next poll; retry until the port
        // is free again.
        for _ in 0..100 {
            if let Ok(listener) = TcpListener::bind(self.addr).await {
                self.listen(listener);
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the proxy port {} did not come free", self.addr);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `host:port` of a `scheme://user:password@host:port/db?…` URL (`default_port` when the
/// URL names none).
pub fn host_port(url: &str, default_port: u16) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:{default_port}")
    }
}
