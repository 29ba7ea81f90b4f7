pub mod connections;
pub mod hardcoded_backing_service;
pub mod urls;
