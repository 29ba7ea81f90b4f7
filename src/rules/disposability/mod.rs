//! Factor IX, Disposability: maximize robustness with fast startup and graceful shutdown.

pub mod missing_signal_handler;
