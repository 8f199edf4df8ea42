//! A tiny static file server for the end-to-end tests: serves a built site on 127.0.0.1 at a free port, under
//! a sub-path (so the tests also prove the bundle works away from `/`), and stops when dropped.
//!
//! In-process on purpose: a fresh machine may have no python, binding port 0 gives a free port without races,
//! and dropping the server cannot leave a stray process behind.

use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

pub struct StaticServer {
    addr: SocketAddr,
    mount: &'static str,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl StaticServer {
    /// Serve the files under `root` at `http://127.0.0.1:<free port><mount>`; `mount` starts and ends with `/`.
    pub fn start(root: &Path, mount: &'static str) -> Result<StaticServer, String> {
        debug_assert!(mount.starts_with('/') && mount.ends_with('/'));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|error| format!("cannot listen on 127.0.0.1: {error}"))?;
        let addr = listener
            .local_addr()
            .map_err(|error| format!("cannot read the server's address: {error}"))?;
        let stopping = Arc::new(AtomicBool::new(false));
        let site = Site {
            root: root.to_path_buf(),
            mount,
        };
        let acceptor = {
            let stopping = stopping.clone();
            thread::spawn(move || accept(listener, site, &stopping))
        };
        Ok(StaticServer {
            addr,
            mount,
            stopping,
            acceptor: Some(acceptor),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.mount)
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // `accept` blocks; one last connection wakes it so it sees the flag and returns.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

struct Site {
    root: PathBuf,
    mount: &'static str,
}

fn accept(listener: TcpListener, site: Site, stopping: &AtomicBool) {
    let site = Arc::new(site);
    for stream in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        // One thread per connection: browsers open speculative connections that never send a request, and
        // those must not hold up the real ones.
        if let Ok(stream) = stream {
            let site = site.clone();
            thread::spawn(move || {
                let _ = serve(stream, &site);
            });
        }
    }
}

fn serve(mut stream: TcpStream, site: &Site) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request_line = String::new();
    let mut reader = BufReader::new(stream.try_clone()?);
    reader.read_line(&mut request_line)?;
    // Read (and ignore) the headers up to the blank line, so the client sees a clean response.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let response = match (method, site.file_for(target)) {
        ("GET" | "HEAD", Some(path)) => match fs::read(&path) {
            Ok(body) => Response {
                status: "200 OK",
                content_type: content_type(&path),
                body,
            },
            Err(_) => Response::not_found(),
        },
        ("GET" | "HEAD", None) => Response::not_found(),
        _ => Response {
            status: "405 Method Not Allowed",
            content_type: "text/plain",
            body: Vec::new(),
        },
    };
    write!(
        stream,
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        response.status,
        response.content_type,
        response.body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(&response.body)?;
    }
    stream.flush()
}

struct Response {
    status: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Response {
    fn not_found() -> Response {
        Response {
            status: "404 Not Found",
            content_type: "text/plain",
            body: b"not found\n".to_vec(),
        }
    }
}

impl Site {
    /// The file a request target names, or `None` if it is outside the mount or tries to leave the root.
    fn file_for(&self, target: &str) -> Option<PathBuf> {
        let path = target.split(['?', '#']).next()?;
        let relative = path.strip_prefix(self.mount)?;
        let mut file = self.root.clone();
        for segment in relative.split('/').filter(|segment| !segment.is_empty()) {
            if segment == "." || segment == ".." || segment.contains('\\') || segment.contains('%')
            {
                return None;
            }
            file.push(segment);
        }
        if relative.is_empty() || relative.ends_with('/') {
            file.push("index.html");
        }
        Some(file)
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|extension| extension.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        // Required by WebAssembly.instantiateStreaming, which wasm-bindgen's loader uses.
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn site() -> Site {
        Site {
            root: PathBuf::from("/site"),
            mount: "/sub/",
        }
    }

    #[test]
    fn targets_map_inside_the_mount_only() {
        let site = site();
        assert_eq!(
            site.file_for("/sub/"),
            Some(PathBuf::from("/site/index.html"))
        );
        assert_eq!(
            site.file_for("/sub/web-1.js?v=2"),
            Some(PathBuf::from("/site/web-1.js"))
        );
        assert_eq!(site.file_for("/web-1.js"), None);
        assert_eq!(site.file_for("/sub/../etc/passwd"), None);
        assert_eq!(site.file_for("/sub/%2e%2e/etc/passwd"), None);
    }

    #[test]
    fn serves_files_with_their_content_type_and_stops_when_dropped() {
        let root = std::env::temp_dir().join(format!("xtask-static-server-{}", std::process::id()));
        fs::create_dir_all(&root).unwrap();
        fs::write(root.join("app.wasm"), b"\0asm").unwrap();
        let server = StaticServer::start(&root, "/sub/").unwrap();
        let addr = server.addr;

        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /sub/app.wasm HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let response = String::from_utf8_lossy(&response);
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(
            response.contains("Content-Type: application/wasm\r\n"),
            "{response}"
        );
        assert!(response.ends_with("\r\n\r\n\0asm"), "{response}");

        drop(server);
        fs::remove_dir_all(&root).unwrap();
        assert!(
            TcpStream::connect(addr).is_err(),
            "the port is closed after drop"
        );
    }
}
