//! Factor VI, Processes: execute the app as one or more stateless processes.

pub mod filesystem_write;
pub mod process_local_state;
