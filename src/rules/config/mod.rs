pub mod secret_fallback;
pub mod secret_names;
