//! The syntax scanners of signal handling: signal names in arguments and
//! path segments.

use syn::visit::{self, Visit};

use super::tables::{IGNORE_NAMES, SIGTERM_NAMES};

/// Signal names mentioned in expressions: SIGTERM (or a set that holds it),
/// and whether the handler ignores it.
#[derive(Default)]
pub(super) struct SignalScan {
    pub(super) term: bool,
    pub(super) ignore: bool,
}

impl<'ast> Visit<'ast> for SignalScan {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(last) = segs.last() {
            if SIGTERM_NAMES.contains(&last.as_str()) {
                self.term = true;
            }
            // async-signal `Signal::Term`, tokio `SignalKind::terminate()`.
            let prev = segs.len().checked_sub(2).map(|i| segs[i].as_str());
            if (last == "Term" && prev == Some("Signal")) || (last == "terminate" && prev == Some("SignalKind")) {
                self.term = true;
            }
            if IGNORE_NAMES.contains(&last.as_str()) {
                self.ignore = true;
            }
        }
        visit::visit_path(self, path);
    }
}

/// Every path segment in an expression.
#[derive(Default)]
pub(super) struct PathNames(pub(super) Vec<String>);

impl<'ast> Visit<'ast> for PathNames {
    fn visit_path_segment(&mut self, s: &'ast syn::PathSegment) {
        self.0.push(s.ident.to_string());
        visit::visit_path_segment(self, s);
    }
}
