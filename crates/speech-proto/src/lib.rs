//! Sans-IO protocol core for the Azure Speech REST APIs.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod audio;
pub mod error;
mod header;

pub use error::{Error, Hint, Misuse, Service, ServiceError};

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
