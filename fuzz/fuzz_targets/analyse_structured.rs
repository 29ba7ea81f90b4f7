//! Source built from a structured description: the cases random byte
//! mutation rarely reaches (deep nesting of each kind, long method and
//! builder chains, chains inside macros, nested `format!`, large literals),
//! wrapped around fragments of code the rules look at.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Nest {
    Generics,
    Blocks,
    Parens,
    Arrays,
    Closures,
    Format,
    Ifs,
    Tuples,
    Modules,
    References,
}

#[derive(Debug, Arbitrary)]
enum Piece {
    Nested { kind: Nest, depth: u16 },
    Chain { method: Method, len: u16, in_macro: bool },
    Literal { kind: Lit, len: u32 },
    Raw(String),
    Known(Known),
}

#[derive(Debug, Arbitrary)]
enum Method {
    Plain,
    Builder,
    Await,
    Try,
    Field,
}

#[derive(Debug, Arbitrary)]
enum Lit {
    Str,
    RawStr,
    Secret,
    Number,
    ByteStr,
}

#[derive(Debug, Arbitrary)]
enum Known {
    Bind,
    Command,
    EnvVar,
    FsWrite,
    Static,
    Url,
    Main,
    Mod,
}

#[derive(Debug, Arbitrary)]
struct Input {
    bin: bool,
    pieces: Vec<Piece>,
}

/// Keeps each generated file to a few hundred kilobytes.
const MAX_DEPTH: usize = 6000;
const MAX_CHAIN: usize = 30_000;
const MAX_LITERAL: usize = 1 << 20;

fn nested(kind: &Nest, depth: usize, out: &mut String) {
    let (open, mid, close): (&str, &str, &str) = match kind {
        Nest::Generics => ("Vec<", "u8", ">"),
        Nest::Blocks => ("{ ", "1", " }"),
        Nest::Parens => ("(", "1", ")"),
        Nest::Arrays => ("[", "1", "]"),
        Nest::Closures => ("|| ", "1", ""),
        Nest::Format => ("format!(\"{}\", ", "1", ")"),
        Nest::Ifs => ("if x { ", "1", " } else { 2 }"),
        Nest::Tuples => ("(", "1", ",)"),
        Nest::Modules => ("mod m { ", "", " }"),
        Nest::References => ("&", "1", ""),
    };
    let body = format!("{}{mid}{}", open.repeat(depth), close.repeat(depth));
    match kind {
        Nest::Generics => out.push_str(&format!("type T = {body};\n")),
        Nest::Modules => out.push_str(&format!("{body}\n")),
        _ => out.push_str(&format!("fn f() {{ let _ = {body}; }}\n")),
    }
}

fn chain(method: &Method, len: usize, in_macro: bool, out: &mut String) {
    let step = match method {
        Method::Plain => ".a()",
        Method::Builder => ".arg(\"x\")",
        Method::Await => ".await",
        Method::Try => ".f()?",
        Method::Field => ".x",
    };
    let base = match method {
        Method::Builder => "std::process::Command::new(\"curl\")",
        _ => "x",
    };
    let expr = format!("{base}{}", step.repeat(len));
    if in_macro {
        out.push_str(&format!("fn f() {{ println!(\"{{}}\", {expr}); }}\n"));
    } else {
        out.push_str(&format!("async fn f() {{ let _ = {expr}; }}\n"));
    }
}

fn literal(kind: &Lit, len: usize, out: &mut String) {
    let body = match kind {
        Lit::Str => format!("\"{}\"", "a".repeat(len)),
        Lit::RawStr => format!("r#\"{}\"#", "\"x".repeat(len / 2)),
        Lit::Secret => format!("\"ghp_{}\"", "A1b2".repeat(len / 4)),
        Lit::Number => "9".repeat(len.max(1)),
        Lit::ByteStr => format!("b\"{}\"", "\\x00".repeat(len / 4)),
    };
    out.push_str(&format!("const SECRET_TOKEN: &str = {body};\n"));
}

fn known(k: &Known, out: &mut String) {
    out.push_str(match k {
        Known::Bind => "fn main() { let l = std::net::TcpListener::bind(\"0.0.0.0:8080\").unwrap(); loop { l.accept(); } }\n",
        Known::Command => "fn f() { std::process::Command::new(\"ffmpeg\").arg(\"-i\").spawn(); }\n",
        Known::EnvVar => "fn f() { let s = std::env::var(\"JWT_SECRET\").unwrap_or(\"hunter2hunter2\".into()); }\n",
        Known::FsWrite => "fn f() { std::fs::write(\"state.json\", b\"x\").unwrap(); }\n",
        Known::Static => "static SESSIONS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());\n",
        Known::Url => "const DB: &str = \"postgres://user:pa55w0rd@db:5432/app\";\n",
        Known::Main => "#[tokio::main] async fn main() { axum::serve(listener, app).await; }\n",
        Known::Mod => "#[path = \"/proc/self/environ\"] mod env; mod missing;\n",
    });
}

fuzz_target!(|input: Input| {
    let mut text = String::new();
    for piece in input.pieces.iter().take(16) {
        match piece {
            Piece::Nested { kind, depth } => nested(kind, (*depth as usize).min(MAX_DEPTH), &mut text),
            Piece::Chain { method, len, in_macro } => {
                chain(method, (*len as usize).min(MAX_CHAIN), *in_macro, &mut text)
            }
            Piece::Literal { kind, len } => literal(kind, (*len as usize).min(MAX_LITERAL), &mut text),
            Piece::Raw(s) => {
                text.push_str(s);
                text.push('\n');
            }
            Piece::Known(k) => known(k, &mut text),
        }
    }
    for d in cargo_twelve::rules::check_text(&text, input.bin) {
        let _ = cargo_twelve::diagnostic::human::render(&d, std::path::Path::new("/app"), false);
    }
});
