//! smol: `smol::net::TcpStream` (already `futures-io`) and `smol::Timer`.

use std::io;
use std::time::{Duration, Instant};

use crate::unversioned::{BoxConnection, BoxFuture, Runtime, Target};

/// The smol runtime (feature `smol`). Works on any executor that drives smol's reactor (`smol::block_on`,
/// `async-executor`, `async-global-executor`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Smol;

impl Runtime for Smol {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            smol::Timer::after(duration).await;
        })
    }

    fn connect(&self, target: &Target) -> BoxFuture<'static, io::Result<BoxConnection>> {
        let target = target.clone();
        Box::pin(async move {
            let stream = smol::net::TcpStream::connect((target.host.as_str(), target.port)).await?;
            stream.set_nodelay(true)?;
            Ok(Box::new(stream) as BoxConnection)
        })
    }
}
