//! Factor XII, Admin processes: run admin/management tasks as one-off processes.

pub mod startup_migration;
