//! Factor XI, Logs: treat logs as event streams.

pub mod log_to_file;
