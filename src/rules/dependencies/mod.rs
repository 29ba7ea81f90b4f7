//! Factor II: explicitly declare and isolate dependencies.

pub mod missing_lockfile;
pub mod unpinned_git_dependency;
pub mod wildcard_dependency;
