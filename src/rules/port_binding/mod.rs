//! Factor VII, Port binding: export services via port binding.

pub mod hardcoded_port;
