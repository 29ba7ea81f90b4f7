//! Small helpers shared by the rules.

use crate::engine::Cx;

/// Whether the code being visited never runs in the deployed process: test
/// code, or a build-time target (a build script or a proc macro). Rules about
/// how the app runs skip it.
pub(crate) fn is_test_or_build_time(cx: &Cx<'_>) -> bool {
    cx.in_test() || cx.target_kind().is_build_time()
}
