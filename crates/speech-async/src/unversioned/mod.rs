//! Extension points outside semver: the [`Runtime`] trait (the clock, timers and TCP connections) that lets the
//! client run on any executor, and the connection type it yields.
//!
//! These traits may change in a minor release while they see real use (as ureq's `unversioned` module does).
//! The built-in runtimes are in [`crate::runtime`], each behind its feature.
//!
//! A runtime is three things, and nothing else in the client touches the executor:
//!
//! * [`Runtime::now`]: the **one** place the client reads the clock (token refresh, backoff, wall-clock
//!   seconds for a token's `exp` are all derived from it), so that tests can run on virtual time;
//! * [`Runtime::sleep`]: a timer future, for retry waits, the `100 Continue` wait and IO timeouts;
//! * [`Runtime::connect`]: a TCP connection (TLS is layered on top by the client with rustls, whatever the
//!   runtime), or any byte stream you like: a Unix socket, an in-memory pipe, a proxy tunnel.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};

/// A boxed, `Send` future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A byte stream to the service: anything that reads and writes asynchronously (`futures-io` traits).
pub trait Connection: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Connection for T {}

/// A boxed [`Connection`].
pub type BoxConnection = Box<dyn Connection>;

/// Where to connect: the host (a name or an IP address, without brackets) and the port. Whether TLS follows is
/// the client's business, not the connector's.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The executor services the client needs: a clock, a timer and a connector.
///
/// Implement it to run the client on an executor without a built-in runtime, to bring your own connections
/// (wrap a built-in runtime and override [`connect`](Runtime::connect)), or to run tests on virtual time
/// (override [`now`](Runtime::now) and [`sleep`](Runtime::sleep)).
pub trait Runtime: Send + Sync + 'static {
    /// The current instant. The client reads the clock only here.
    fn now(&self) -> Instant;

    /// A future that completes once `duration` has passed on this runtime's clock.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;

    /// Open a byte stream to `target` (plain TCP for the built-in runtimes).
    fn connect(&self, target: &Target) -> BoxFuture<'static, io::Result<BoxConnection>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_print_as_authorities() {
        let t = |host: &str| Target {
            host: host.to_owned(),
            port: 443,
        };
        assert_eq!(
            t("westus.api.example").to_string(),
            "westus.api.example:443"
        );
        assert_eq!(t("::1").to_string(), "[::1]:443");
    }
}
