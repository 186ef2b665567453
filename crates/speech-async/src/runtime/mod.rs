//! The built-in runtimes, each behind its feature: [`AsyncStd`] (`async-std`), [`Smol`] (`smol`) and
//! [`Tokio`] (`tokio`). Each is a zero-sized value implementing [`Runtime`](crate::unversioned::Runtime) with
//! that runtime's clock, timer and TCP; pass it to [`ClientBuilder::runtime`](crate::ClientBuilder::runtime).
//!
//! None is enabled by default, so that a program never compiles a runtime it does not run. Without any, bring
//! your own [`Runtime`](crate::unversioned::Runtime).

#[cfg(feature = "async-std")]
mod async_std;
#[cfg(feature = "smol")]
mod smol;
#[cfg(feature = "tokio")]
mod tokio;

#[cfg(feature = "async-std")]
pub use self::async_std::AsyncStd;
#[cfg(feature = "smol")]
pub use self::smol::Smol;
#[cfg(feature = "tokio")]
pub use self::tokio::Tokio;
