//! Source files: reading, the line index, and parsing with `syn`; what
//! can be read off the syntax alone: macro bodies ([`macros`]) and test
//! attributes ([`cfg`]).
//!
//! Every file is read and parsed exactly once per run. Byte offsets in
//! diagnostics are offsets into [`SourceFile::text`], which is the file as it
//! is on disk.

pub mod cfg;
pub mod macros;
pub mod spans;

use std::ops::Range;
use std::path::{Path, PathBuf};

/// A file's text plus an index of where its lines start.
#[derive(Debug)]
pub struct SourceFile {
    /// Absolute path.
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

/// A 1-based line and a 1-based column counted in Unicode scalar values,
/// the convention of rustc's JSON spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

/// The largest source file read: 10 MiB (rustc's own sources top out
/// well below 1 MiB).
pub const MAX_FILE_SIZE: u64 = 10 << 20;

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// Reads a source file: a regular file (not a FIFO or a device, which
    /// could block or never end) of at most [`MAX_FILE_SIZE`] bytes.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        Self::read_capped(path, MAX_FILE_SIZE)
    }

    /// The same with a cap of `max` bytes.
    pub fn read_capped(path: &Path, max: u64) -> std::io::Result<Self> {
        use std::io::Read as _;
        READS.with(|r| {
            if let Some(reads) = r.borrow_mut().as_mut() {
                reads.push(path.to_path_buf());
            }
        });
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        let too_large = || {
            std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                if max >= 1 << 20 && max.is_multiple_of(1 << 20) {
                    format!("larger than {} MiB", max >> 20)
                } else {
                    format!("larger than {max} bytes")
                },
            )
        };
        if meta.len() > max {
            return Err(too_large());
        }
        // Bounded even where the size is not known up front (`/proc`).
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        std::fs::File::open(path)?.take(max + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max {
            return Err(too_large());
        }
        let text = String::from_utf8(bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))?;
        Ok(Self::new(path, text))
    }

    /// Number of lines; a trailing newline does not start a new line.
    pub fn line_count(&self) -> usize {
        let n = self.line_starts.len();
        if self.text.ends_with('\n') { n - 1 } else { n }
    }

    /// The 0-based index of the line holding `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = self.clamp(offset);
        let line = self.line_index(offset);
        let start = self.line_starts[line];
        LineCol {
            line: line + 1,
            col: self.text[start..offset].chars().count() + 1,
        }
    }

    /// The byte range of a 1-based line, without its line terminator.
    pub fn line_range(&self, line: usize) -> Range<usize> {
        let start = self.line_starts[line - 1];
        let mut end = self.line_starts.get(line).map_or(self.text.len(), |next| next - 1);
        if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        start..end
    }

    /// The text of a 1-based line, without its line terminator.
    pub fn line_text(&self, line: usize) -> &str {
        &self.text[self.line_range(line)]
    }

    /// The offset rounded down to a char boundary inside the text.
    pub fn clamp(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// A copy with each range masked: its first four characters kept, every
    /// other byte but line breaks replaced by `*`, so byte offsets, lines and
    /// spans stay valid.
    pub fn masked(&self, ranges: &[Range<usize>]) -> SourceFile {
        let mut bytes = self.text.clone().into_bytes();
        for range in ranges {
            let start = self.clamp(range.start);
            let end = self.clamp(range.end);
            let keep = self.text[start..end].chars().take(4).map(char::len_utf8).sum::<usize>();
            for b in &mut bytes[start + keep..end] {
                if *b != b'\n' && *b != b'\r' {
                    *b = b'*';
                }
            }
        }
        // Whole UTF-8 sequences inside a range became `*` bytes, so this is valid.
        let text = String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        SourceFile::new(self.path.clone(), text)
    }

    /// Parses the file as a Rust source file.
    ///
    /// Unlike `syn::parse_file`, this keeps byte offsets equal to offsets in
    /// the text on disk: a byte-order mark and a shebang line are blanked
    /// out, not cut off.
    ///
    /// A file nested deeper than [`MAX_NESTING`] is not parsed: its syntax
    /// tree would not fit the stack of the threads that parse, visit and
    /// drop it.
    pub fn parse(&self) -> Result<syn::File, ParseFailure> {
        parse_checked(&self.text)
    }
}

/// Why a file was not parsed.
#[derive(Debug)]
pub enum ParseFailure {
    Syntax(syn::Error),
    /// Nested past [`MAX_NESTING`]: `at` is the byte range of the token
    /// where the limit was passed.
    TooDeep {
        at: Range<usize>,
    },
}

/// How deep a file may nest, in the units of [`nesting`]: far beyond what
/// people write (rustc's own sources stay under a few hundred) and beyond
/// what rustc compiles (generics 3,000 deep measure about 6,000), while the
/// syntax tree of such a file still fits [`STACK_SIZE`].
pub const MAX_NESTING: usize = 100_000;

/// How deep inline modules (`mod a { mod b { .. } }`) may nest: each one
/// holds its whole path, so their cost grows with the square of the depth.
pub const MAX_MODULE_NESTING: usize = 1000;

/// The stack of every thread that parses or visits a file.
pub const STACK_SIZE: usize = 1 << 30;

/// Parses with the nesting checked first: [`parse_rust`] for files that
/// can come from anywhere.
pub fn parse_checked(text: &str) -> Result<syn::File, ParseFailure> {
    let tokens: proc_macro2::TokenStream = padded(text)
        .parse()
        .map_err(|e| ParseFailure::Syntax(syn::Error::from(e)))?;
    if let Some(at) = too_deep(tokens.clone(), MAX_NESTING) {
        return Err(ParseFailure::TooDeep { at });
    }
    if let Some(lit) = too_long_number(text, tokens.clone()) {
        let len = lit.to_string().len();
        return Err(ParseFailure::Syntax(syn::Error::new(
            lit.span(),
            format!("a numeric literal of {len} characters: longer than {MAX_NUMBER_LEN}, it is not parsed"),
        )));
    }
    syn::parse2(tokens).map_err(ParseFailure::Syntax)
}

/// The longest numeric literal parsed: syn reads a number's digits into a
/// big integer at a cost that grows with the square of their count (a
/// `u128` needs 39; a megabyte of digits took minutes).
pub const MAX_NUMBER_LEN: usize = 1024;

/// A numeric literal longer than [`MAX_NUMBER_LEN`], looked for among the
/// tokens only when the text has such a run of digits at all.
fn too_long_number(text: &str, tokens: proc_macro2::TokenStream) -> Option<proc_macro2::Literal> {
    let digits = |b: &u8| b.is_ascii_hexdigit() || *b == b'_';
    let mut run = 0;
    if !text.as_bytes().iter().any(|b| {
        run = if digits(b) { run + 1 } else { 0 };
        run > MAX_NUMBER_LEN
    }) {
        return None;
    }
    let mut stack = vec![tokens.into_iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            None => {
                stack.pop();
            }
            Some(proc_macro2::TokenTree::Group(g)) => stack.push(g.stream().into_iter()),
            Some(proc_macro2::TokenTree::Literal(l)) => {
                let text = l.to_string();
                if text.len() > MAX_NUMBER_LEN && text.starts_with(|c: char| c.is_ascii_digit()) {
                    return Some(l);
                }
            }
            Some(_) => {}
        }
    }
    None
}

/// An upper bound on how deep the syntax tree of `tokens` nests, measured
/// without building it (the measure must not recurse, since the tree
/// cannot be trusted to fit the stack): where it passes `limit`, the byte
/// range of the token there.
///
/// Each open group (`(..)`, `[..]`, `{..}`) counts one plus the tokens
/// before it in its run. A run is what lies between the separators of one
/// group level: `;`, and `,` where no `<` or closure parameter list is
/// open, and the end of a `{..}` that an item, statement or attribute
/// follows. Inside a run, every token can add a level to the tree
/// (`x.a().a()`, `!!x`, `a + b + c`, `Vec<Vec<u8>>`, `|| || x`,
/// `else if`), except the `.` that comes with a method, field or
/// `.await`.
pub fn too_deep(tokens: proc_macro2::TokenStream, limit: usize) -> Option<Range<usize>> {
    use proc_macro2::{Delimiter, TokenTree};
    struct Level {
        iter: proc_macro2::token_stream::IntoIter,
        /// The depth measured outside this group, this group included.
        base: usize,
        run: usize,
        angles: usize,
        pipes: usize,
        /// The last token closed a brace group.
        after_brace: bool,
        /// How many `mod x { .. }` bodies this group is in.
        modules: usize,
        /// Tokens of `mod x` seen just before: 1 after `mod`, 2 after its name.
        mod_tokens: u8,
    }
    let level = |iter, base, modules| Level {
        iter,
        base,
        run: 0,
        angles: 0,
        pipes: 0,
        after_brace: false,
        modules,
        mod_tokens: 0,
    };
    let mut stack = vec![level(tokens.into_iter(), 0, 0)];
    while let Some(top) = stack.last_mut() {
        let Some(tt) = top.iter.next() else {
            stack.pop();
            continue;
        };
        if top.after_brace {
            top.after_brace = false;
            let continues = match &tt {
                TokenTree::Ident(i) => i == "else" || i == "as",
                TokenTree::Punct(p) => p.as_char() != '#',
                TokenTree::Group(_) => true,
                TokenTree::Literal(_) => false,
            };
            if !continues && top.angles == 0 {
                top.run = 0;
                top.pipes = 0;
            }
        }
        let mod_tokens = std::mem::take(&mut top.mod_tokens);
        match &tt {
            TokenTree::Ident(i) if i == "mod" => top.mod_tokens = 1,
            TokenTree::Ident(_) if mod_tokens == 1 => top.mod_tokens = 2,
            _ => {}
        }
        match &tt {
            TokenTree::Punct(p) => match p.as_char() {
                ';' => {
                    top.run = 0;
                    top.angles = 0;
                    top.pipes = 0;
                    continue;
                }
                ',' if top.angles == 0 && top.pipes % 2 == 0 => {
                    top.run = 0;
                    continue;
                }
                '.' => continue,
                '<' => top.angles += 1,
                '>' => top.angles = top.angles.saturating_sub(1),
                '|' => top.pipes += 1,
                _ => {}
            },
            TokenTree::Group(g) => {
                let depth = top.base + top.run + 1;
                top.run += 1;
                if depth > limit {
                    return Some(g.span_open().byte_range());
                }
                let module = g.delimiter() == Delimiter::Brace && mod_tokens == 2;
                let modules = top.modules + usize::from(module);
                if modules > MAX_MODULE_NESTING {
                    return Some(g.span_open().byte_range());
                }
                if g.delimiter() == Delimiter::Brace {
                    top.after_brace = true;
                }
                stack.push(level(g.stream().into_iter(), depth, modules));
                continue;
            }
            _ => {}
        }
        top.run += 1;
        if top.base + top.run > limit {
            return Some(tt.span().byte_range());
        }
    }
    None
}

/// The text with a byte-order mark and a shebang line blanked out, offsets
/// kept.
fn padded(text: &str) -> std::borrow::Cow<'_, str> {
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = &text[bom..];
    let shebang = body
        .strip_prefix("#!")
        .is_some_and(|after| !after.trim_start().starts_with('['));
    if bom == 0 && !shebang {
        return std::borrow::Cow::Borrowed(text);
    }
    let blank = bom
        + if shebang {
            body.find('\n').unwrap_or(body.len())
        } else {
            0
        };
    std::borrow::Cow::Owned(format!("{}{}", " ".repeat(blank), &text[blank..]))
}

/// Parses Rust source keeping span offsets equal to offsets into `text`.
pub fn parse_rust(text: &str) -> syn::Result<syn::File> {
    syn::parse_str(&padded(text))
}

thread_local! {
    /// The files [`SourceFile::read`] reads on this thread inside
    /// [`reads_of`].
    static READS: std::cell::RefCell<Option<Vec<PathBuf>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` and lists the files it read with [`SourceFile::read`] on this
/// thread: the cache checks that a file's pass reads only what its rules
/// declare.
pub fn reads_of<R>(f: impl FnOnce() -> R) -> (R, Vec<PathBuf>) {
    let previous = READS.with(|r| r.borrow_mut().replace(Vec::new()));
    let result = f();
    let reads = READS
        .with(|r| std::mem::replace(&mut *r.borrow_mut(), previous))
        .unwrap_or_default();
    (result, reads)
}

thread_local! {
    /// The syntax tree of the file this thread's pass is visiting.
    static PASS_TREE: std::cell::RefCell<Option<(*const SourceFile, std::rc::Rc<syn::File>)>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` (the pass over `file`) with `tree` as `file`'s syntax tree for
/// [`tree_of`] on this thread: code that needs the tree again (a rule
/// building a suggestion) reuses it instead of parsing the file twice.
pub fn with_tree<R>(file: &std::sync::Arc<SourceFile>, tree: std::rc::Rc<syn::File>, f: impl FnOnce() -> R) -> R {
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            PASS_TREE.with(|t| t.borrow_mut().take());
        }
    }
    PASS_TREE.with(|t| *t.borrow_mut() = Some((std::sync::Arc::as_ptr(file), tree)));
    let _clear = Clear;
    f()
}

/// The tree of `file` while this thread's pass visits it.
pub fn tree_of(file: &std::sync::Arc<SourceFile>) -> Option<std::rc::Rc<syn::File>> {
    PASS_TREE.with(|t| {
        t.borrow()
            .as_ref()
            .filter(|(ptr, _)| *ptr == std::sync::Arc::as_ptr(file))
            .map(|(_, tree)| tree.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::spanned::Spanned;

    #[test]
    fn line_col_counts_chars() {
        let f = SourceFile::new("x.rs", "ab\nçd e\r\nlast".into());
        assert_eq!(f.line_col(0), LineCol { line: 1, col: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, col: 1 });
        // `ç` is two bytes, one column.
        assert_eq!(f.line_col(6), LineCol { line: 2, col: 3 });
        assert_eq!(f.line_text(2), "çd e");
        assert_eq!(f.line_text(3), "last");
        assert_eq!(f.line_count(), 3);
    }

    #[test]
    fn offsets_survive_bom_and_shebang() {
        let text = "\u{feff}#!/usr/bin/env run-cargo-script\nfn main() { go(); }\n";
        let file = parse_rust(text).unwrap();
        let span = file.items[0].span().byte_range();
        assert_eq!(&text[span], "fn main() { go(); }");
    }

    #[test]
    fn masking_keeps_offsets() {
        let f = SourceFile::new("x.rs", "let k = \"sk_live_ünï\ncode\";\nnext();\n".into());
        let start = f.text.find("sk_").unwrap();
        let end = f.text.find("\";").unwrap();
        let secret = start..end;
        let m = f.masked(std::slice::from_ref(&secret));
        assert_eq!(m.text.len(), f.text.len());
        assert_eq!(m.line_text(1), "let k = \"sk_l*********");
        assert_eq!(m.line_text(2), "****\";");
        assert_eq!(m.line_text(3), "next();");
    }

    fn depth_passes(text: &str, limit: usize) -> bool {
        let tokens: proc_macro2::TokenStream = text.parse().unwrap();
        too_deep(tokens, limit).is_some()
    }

    /// The measure follows every way a syntax tree nests, separators
    /// included, and lets long flat code through.
    #[test]
    fn nesting_measure() {
        let limit = 10_000;
        let deep = [
            format!("type T = {}u8{};", "Vec<".repeat(6000), ">".repeat(6000)),
            format!("type T = {}u8{};", "A<B, ".repeat(6000), ">".repeat(6000)),
            format!("fn f() {{ {}x; }}", "|a, b| ".repeat(6000)),
            format!("fn f() {{ x{}; }}", ".a()".repeat(6000)),
            format!("fn f() {{ x{}; }}", "?".repeat(11_000)),
            format!("fn f() {{ {}x; }}", "!".repeat(11_000)),
            format!("fn f() {{ {}1{}; }}", "(".repeat(11_000), ")".repeat(11_000)),
            format!("fn f() {{ {}1{}; }}", "{ ".repeat(11_000), " }".repeat(11_000)),
            format!("fn f() {{ if a {{}} {}}}", "else if a {} ".repeat(3000)),
            format!("fn f() {{ x = 1{}; }}", " + 1".repeat(6000)),
            format!(
                "{}{}",
                "mod m { ".repeat(MAX_MODULE_NESTING + 1),
                " }".repeat(MAX_MODULE_NESTING + 1)
            ),
        ];
        for text in &deep {
            assert!(depth_passes(text, limit), "{}", &text[..60]);
        }
        let flat = [
            format!("static T: [u8; 20000] = [{}];", "1, ".repeat(20_000)),
            "#[test]\nfn t() { ok(); }\n".repeat(20_000),
            "fn t() { ok(); }\nimpl A { fn b(&self) {} }\n".repeat(20_000),
            format!("fn f() {{ {} }}", "let x = a < b;\n".repeat(20_000)),
            format!("fn f() {{ match x {{ {} }} }}", "A => 1, B => { 2 }\n".repeat(20_000)),
        ];
        for text in &flat {
            assert!(!depth_passes(text, limit), "{}", &text[..60]);
        }
    }

    #[test]
    fn a_number_too_long_to_parse_is_a_syntax_error_not_a_hang() {
        let text = format!(
            "const N: u8 = {};\nconst S: &str = \"{}\";\n",
            "9".repeat(1 << 20),
            "9".repeat(1 << 20)
        );
        let started = std::time::Instant::now();
        let Err(ParseFailure::Syntax(e)) = parse_checked(&text) else {
            panic!("a megabyte of digits parsed");
        };
        assert!(e.to_string().contains("numeric literal of 1048576 characters"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Digits in a string, and numbers of any real length, parse.
        let text = format!(
            "const S: &str = \"{}\";\nconst N: u128 = {};\n",
            "9".repeat(1 << 20),
            u128::MAX
        );
        assert!(parse_checked(&text).is_ok());
    }

    #[test]
    fn too_deep_files_are_not_parsed() {
        let text = format!("fn f() {{ let _ = {}x; }}\n", "!".repeat(MAX_NESTING + 1));
        let Err(ParseFailure::TooDeep { at }) = parse_checked(&text) else {
            panic!("parsed");
        };
        assert_eq!(&text[at.clone()], "!");
        assert!(at.start > 10_000, "{at:?}");
        let text = format!("type T = {}u8{};\n", "Vec<".repeat(3000), ">".repeat(3000));
        let parsed = std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || parse_checked(&text).is_ok())
            .unwrap();
        assert!(parsed.join().unwrap());
    }

    #[test]
    fn inner_attribute_is_not_a_shebang() {
        let text = "#![allow(dead_code)]\nfn f() {}\n";
        let file = parse_rust(text).unwrap();
        assert_eq!(file.attrs.len(), 1);
    }
}
