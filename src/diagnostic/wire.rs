//! Diagnostics and spans as data, for the cache of per-file results
//! (`engine::cache`): a [`Span`] is written as an index into a table of
//! files kept for the duration of one encoding or decoding on this thread
//! ([`with_files`]), plus its byte range.

use std::cell::RefCell;
use std::sync::{Arc, LazyLock, Mutex};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Span;
use crate::source::SourceFile;

thread_local! {
    static FILES: RefCell<Option<Vec<Arc<SourceFile>>>> = const { RefCell::new(None) };
}

/// Runs `f` with `files` as the span table of this thread: spans written
/// by `f` name files by their index in it (a file not in it is added),
/// and spans read by `f` take their file from it. Returns `f`'s result and
/// the table as it ends.
pub fn with_files<R>(files: Vec<Arc<SourceFile>>, f: impl FnOnce() -> R) -> (R, Vec<Arc<SourceFile>>) {
    struct Restore(Option<Vec<Arc<SourceFile>>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            FILES.with(|t| *t.borrow_mut() = previous);
        }
    }
    let previous = FILES.with(|t| t.borrow_mut().replace(files));
    let restore = Restore(previous);
    let r = f();
    let files = FILES.with(|t| t.borrow_mut().take()).unwrap_or_default();
    drop(restore);
    (r, files)
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let index = FILES.with(|t| {
            let mut t = t.borrow_mut();
            let files = t.as_mut()?;
            let at = files
                .iter()
                .position(|f| Arc::ptr_eq(f, &self.file) || (f.path == self.file.path && f.text == self.file.text));
            Some(at.unwrap_or_else(|| {
                files.push(self.file.clone());
                files.len() - 1
            }))
        });
        let Some(index) = index else {
            return Err(serde::ser::Error::custom("a span is written outside a file table"));
        };
        (index, self.range.start, self.range.end).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (index, start, end) = <(usize, usize, usize)>::deserialize(d)?;
        let file = FILES
            .with(|t| t.borrow().as_ref().and_then(|files| files.get(index).cloned()))
            .ok_or_else(|| D::Error::custom("a span names a file the entry does not have"))?;
        // A range that does not fit the text is a corrupt entry.
        if start > end
            || end > file.text.len()
            || !file.text.is_char_boundary(start)
            || !file.text.is_char_boundary(end)
        {
            return Err(D::Error::custom("a span out of its file"));
        }
        Ok(Span {
            file,
            range: start..end,
        })
    }
}

/// The one `&'static str` equal to `s`: rule codes and the fixed strings
/// of facts, read back from the cache. Each distinct string is kept once
/// per process (they come from a small fixed set).
pub fn intern(s: &str) -> &'static str {
    static STRINGS: LazyLock<Mutex<std::collections::HashSet<&'static str>>> = LazyLock::new(Default::default);
    let mut strings = STRINGS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = strings.get(s) {
        return known;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    strings.insert(leaked);
    leaked
}

/// `#[serde(deserialize_with = "static_str")]` for a `&'static str` field.
pub fn static_str<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
    Ok(intern(&s))
}

/// `#[serde(deserialize_with = "static_str_opt")]` for an
/// `Option<&'static str>` field.
pub fn static_str_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    let s = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
    Ok(s.map(|s| intern(&s)))
}

/// `#[serde(deserialize_with = "static_str_set")]` for a
/// `BTreeSet<&'static str>` field.
pub fn static_str_set<'de, D: Deserializer<'de>>(d: D) -> Result<std::collections::BTreeSet<&'static str>, D::Error> {
    let v = Vec::<String>::deserialize(d)?;
    Ok(v.iter().map(|s| intern(s)).collect())
}

/// `#[serde(deserialize_with = "static_str_vec")]` for a
/// `Vec<&'static str>` field.
pub fn static_str_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<&'static str>, D::Error> {
    let v = Vec::<String>::deserialize(d)?;
    Ok(v.iter().map(|s| intern(s)).collect())
}

/// `&'static str`, under a name serde's derive does not see through: it
/// would otherwise require `'de: 'static` of the whole type, even with
/// `deserialize_with`.
pub type StaticStr = &'static str;
