//! Factor I: one codebase tracked in revision control, many deploys.

pub mod external_path_dependency;
