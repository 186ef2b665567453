//! tokio: `tokio::net::TcpStream` bridged to `futures-io` with tokio-util's compat layer, and
//! `tokio::time::sleep`.

use std::io;
use std::time::{Duration, Instant};

use tokio_util::compat::TokioAsyncReadCompatExt;

use crate::unversioned::{BoxConnection, BoxFuture, Runtime, Target};

/// The tokio runtime (feature `tokio`). Calls must run inside a tokio runtime with IO and time enabled.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tokio;

impl Runtime for Tokio {
    fn now(&self) -> Instant {
        // `tokio::time::Instant::now` so that tokio's paused test clock (`start_paused`) moves the client too.
        tokio::time::Instant::now().into_std()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }

    fn connect(&self, target: &Target) -> BoxFuture<'static, io::Result<BoxConnection>> {
        let target = target.clone();
        Box::pin(async move {
            let stream =
                tokio::net::TcpStream::connect((target.host.as_str(), target.port)).await?;
            stream.set_nodelay(true)?;
            Ok(Box::new(stream.compat()) as BoxConnection)
        })
    }
}
