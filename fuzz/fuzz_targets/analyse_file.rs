//! Arbitrary bytes as one source file: every rule's per-file pass, then
//! the human rendering of whatever it reports.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flag, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    for d in cargo_twelve::rules::check_text(&text, flag & 1 == 1) {
        let _ = cargo_twelve::diagnostic::human::render(&d, std::path::Path::new("/app"), false);
    }
});
