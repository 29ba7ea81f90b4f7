//! Factor II, Dependencies: explicitly declare and isolate dependencies.

pub mod missing_lockfile;
pub mod system_command;
pub mod unpinned_git_dependency;
pub mod wildcard_dependency;
