//! Factor III, Config: store config in the environment.

pub mod committed_env_file;
pub mod env_files;
pub mod hardcoded_secret;
pub mod secret_fallback;
pub mod secret_names;
pub mod secret_patterns;
pub mod secret_values;
