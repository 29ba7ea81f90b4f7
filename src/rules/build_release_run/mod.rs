//! Factor V, Build, release, run: strictly separate build and run stages.

pub mod compile_time_config;
