//! async-std: `async_std::net::TcpStream` (already `futures-io`) and `async_std::task::sleep`.

use std::io;
use std::time::{Duration, Instant};

use crate::unversioned::{BoxConnection, BoxFuture, Runtime, Target};

/// The async-std runtime (feature `async-std`).
#[derive(Clone, Copy, Debug, Default)]
pub struct AsyncStd;

impl Runtime for AsyncStd {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async_std::task::sleep(duration))
    }

    fn connect(&self, target: &Target) -> BoxFuture<'static, io::Result<BoxConnection>> {
        let target = target.clone();
        Box::pin(async move {
            let stream =
                async_std::net::TcpStream::connect((target.host.as_str(), target.port)).await?;
            stream.set_nodelay(true)?;
            Ok(Box::new(stream) as BoxConnection)
        })
    }
}
