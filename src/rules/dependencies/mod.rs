//! Factor II, Dependencies: explicitly declare and isolate dependencies.

pub mod system_command;
