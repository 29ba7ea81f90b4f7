use syn::spanned::Spanned;

use crate::declare_rule;
use crate::diagnostic::Span;
use crate::engine::{Call, Cx, EntryKind, Fact, MacroCall, PackageReport};
use crate::rules::{Factor, Rule, RuleMeta};
use crate::workspace::TargetKind;

declare_rule! {
    /// ### What it does
    /// Finds schema migrations run at start-up inside a long-running service
    /// binary: sqlx `migrate!()…run`, diesel `run_pending_migrations`,
    /// refinery `runner().run`/`run_async` and sea-orm `Migrator::up`,
    /// reached from the `main` of a binary that serves (see
    /// `missing_signal_handler` for what makes a binary a service).
    /// Migrations behind a CLI subcommand or flag (`if args.migrate`,
    /// `match cmd { Command::Migrate => .. }`) and migrations in a dedicated
    /// admin binary are not reported. This rule is allowed by default: many
    /// small services migrate at start-up on purpose.
    ///
    /// ### Why is this bad
    /// Twelve-factor admin tasks, database migrations first among them, run
    /// as one-off processes against a release, not inside every web process.
    /// When each instance migrates as it boots, instances race each other
    /// during a rolling deploy, a slow migration holds the service's
    /// readiness hostage, and a failing one crash-loops every instance
    /// instead of failing the release step once.
    ///
    /// ### Example
    /// ```rust,ignore
    /// #[tokio::main]
    /// async fn main() -> anyhow::Result<()> {
    ///     let pool = PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    ///     sqlx::migrate!().run(&pool).await?;
    ///     axum::serve(listener, app(pool)).await?;
    ///     Ok(())
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// // src/bin/migrate.rs, run once per release (`cargo run --bin migrate`,
    /// // a Kubernetes Job, Heroku's release phase), or `sqlx migrate run`
    /// #[tokio::main]
    /// async fn main() -> anyhow::Result<()> {
    ///     let pool = PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    ///     sqlx::migrate!().run(&pool).await?;
    ///     Ok(())
    /// }
    /// ```
    pub StartupMigration => "startup_migration", Factor::AdminProcesses, Allow, fixable: false, options: [], scope: Service
}

/// Dependencies that run migrations; without one the rule records nothing.
const MIGRATION_CRATES: &[&str] = &[
    "sqlx",
    "diesel",
    "diesel_migrations",
    "refinery",
    "sea-orm",
    "sea-orm-migration",
    "migration",
];

/// Path calls that migrate, by suffix of the canonical path.
const MIGRATION_CALLS: &[(&str, &str)] = &[
    (
        "diesel_migrations::run_pending_migrations",
        "diesel `run_pending_migrations`",
    ),
    ("embedded_migrations::run", "diesel `embedded_migrations::run`"),
    (
        "embedded_migrations::run_with_output",
        "diesel `embedded_migrations::run`",
    ),
    ("Migrator::up", "sea-orm `Migrator::up`"),
    ("Migrator::fresh", "sea-orm `Migrator::fresh`"),
    ("Migrator::refresh", "sea-orm `Migrator::refresh`"),
    ("MigratorTrait::up", "sea-orm `Migrator::up`"),
];

/// Methods that migrate: (method, chain roots by suffix, what).
const MIGRATION_METHODS: &[(&str, &[&str], &str)] = &[
    ("run_pending_migrations", &[], "diesel `run_pending_migrations`"),
    ("run", &["::runner"], "refinery `runner().run`"),
    ("run_async", &["::runner"], "refinery `runner().run_async`"),
    ("run", &["sqlx::migrate::Migrator::new"], "sqlx `Migrator::run`"),
];

/// A migration call and the function it is in (the report reads these
/// facts to tell which entry points migrate).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Migration {
    pub caller: String,
    #[serde(deserialize_with = "crate::diagnostic::wire::static_str")]
    pub what: crate::diagnostic::wire::StaticStr,
}

/// A branch body of an `if` or `match` that is not about a `Result` or
/// `Option`: what runs there is gated (by a flag, config). A `match` arm
/// carries the service model's node for it: when the arm selects a
/// subcommand, the model already judges that subcommand on its own.
#[derive(serde::Serialize, serde::Deserialize)]
struct Gated {
    arm: Option<String>,
}

/// Code a deployed process can run.
fn runs(cx: &Cx<'_>) -> bool {
    !cx.in_test() && matches!(cx.target_kind(), TargetKind::Lib | TargetKind::Bin)
}

fn ends_with_path(path: &str, suffix: &str) -> bool {
    path == suffix || path.strip_suffix(suffix).is_some_and(|p| p.ends_with("::"))
}

fn enabled(cx: &Cx<'_>) -> bool {
    !cx.in_test()
        && matches!(cx.target_kind(), TargetKind::Lib | TargetKind::Bin)
        && MIGRATION_CRATES.iter().any(|c| cx.package().dependency(c).is_some())
}

/// `Ok(..)`, `Err(..)`, `Some(..)`, `None`, `_`: a pattern about a value,
/// not a choice the operator makes.
fn is_result_pattern(pat: &syn::Pat) -> bool {
    let last = |path: &syn::Path| {
        path.segments
            .last()
            .is_some_and(|s| matches!(s.ident.to_string().as_str(), "Ok" | "Err" | "Some" | "None"))
    };
    match pat {
        syn::Pat::TupleStruct(t) => last(&t.path),
        syn::Pat::Path(p) => last(&p.path),
        syn::Pat::Ident(i) => i.ident == "None",
        syn::Pat::Wild(_) => true,
        syn::Pat::Or(o) => o.cases.iter().all(is_result_pattern),
        _ => false,
    }
}

impl Rule for StartupMigration {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    fn fact_types(&self) -> &'static [crate::engine::cache::FactType] {
        const {
            &[
                crate::engine::cache::FactType::of::<Migration>(),
                crate::engine::cache::FactType::of::<Gated>(),
            ]
        }
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if !enabled(cx) {
            return;
        }
        let Some(caller) = cx.enclosing_fn_path().map(str::to_string) else {
            return;
        };
        let what = if let Some(method) = call.method {
            let method = method.to_string();
            let by_root = MIGRATION_METHODS.iter().find(|(m, roots, _)| {
                *m == method
                    && (roots.is_empty() || call.chain.root.iter().any(|r| roots.iter().any(|s| r.ends_with(s))))
            });
            // `MIGRATOR.run(&pool)` with `static MIGRATOR: Migrator = sqlx::migrate!()`.
            let static_migrator = method == "run"
                && cx.package().dependency("sqlx").is_some()
                && matches!(call.expr, syn::Expr::MethodCall(m)
                    if matches!(&*m.receiver, syn::Expr::Path(p)
                        if p.path.segments.last().is_some_and(|s| s.ident.to_string().contains("MIGRAT"))));
            match (by_root, static_migrator) {
                (Some((_, _, what)), _) => *what,
                (None, true) => "sqlx `Migrator::run`",
                _ => return,
            }
        } else {
            match MIGRATION_CALLS
                .iter()
                .find(|(suffix, _)| call.paths.iter().any(|p| ends_with_path(p, suffix)))
            {
                Some((_, what)) => what,
                None => return,
            }
        };
        let span = match call.method {
            Some(m) => cx.span_of(m.span().byte_range().start..call.expr.span().byte_range().end),
            None => cx.span(call.expr),
        };
        cx.record(span, Migration { caller, what });
    }

    fn check_macro(&self, cx: &mut Cx<'_>, mac: &MacroCall<'_>) {
        if !enabled(cx) || !mac.is(&["sqlx::migrate"]) {
            return;
        }
        let Some(caller) = cx.enclosing_fn_path().map(str::to_string) else {
            return;
        };
        let span = cx.span(mac.mac);
        cx.record(
            span,
            Migration {
                caller,
                what: "sqlx `migrate!`",
            },
        );
    }

    fn check_expr(&self, cx: &mut Cx<'_>, expr: &syn::Expr) {
        // Gates anywhere: the flag may sit in the binary, the migration in
        // a library crate.
        if !runs(cx) {
            return;
        }
        match expr {
            syn::Expr::If(i) => {
                if let syn::Expr::Let(l) = &*i.cond
                    && is_result_pattern(&l.pat)
                {
                    return;
                }
                let span = cx.span(&i.then_branch);
                cx.record(span, Gated { arm: None });
                if let Some((_, e)) = &i.else_branch {
                    let span = cx.span(e);
                    cx.record(span, Gated { arm: None });
                }
            }
            syn::Expr::Match(m) => {
                if m.arms.iter().all(|a| is_result_pattern(&a.pat)) {
                    return;
                }
                for arm in &m.arms {
                    let span = cx.span(&arm.body);
                    let node = cx
                        .owner()
                        .map(|o| format!("{o}::#{}", arm.pat.span().byte_range().start));
                    cx.record(span, Gated { arm: node });
                }
            }
            _ => {}
        }
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, _facts: &[Fact]) {
        let model = cx.model;
        let gates: Vec<&Span> = cx
            .workspace_facts
            .iter()
            .filter(|f| {
                f.get::<Gated>()
                    .is_some_and(|g| g.arm.as_deref().is_none_or(|a| !model.is_dispatch_arm(a)))
            })
            .map(|f| &f.span)
            .collect();
        let gated = |span: &Span| gates.iter().any(|g| g.encloses(span));
        for entry in model.entries() {
            if entry.kind != EntryKind::Service || entry.package != cx.index {
                continue;
            }
            let Some((serve_span, marker)) = entry.evidence.first() else {
                continue;
            };
            let at_startup = model.reach(entry, &|s| !gated(s));
            for fact in cx.workspace_facts {
                let Some(m) = fact.get::<Migration>() else { continue };
                if !at_startup.contains(&m.caller) || gated(&fact.span) {
                    continue;
                }
                let what = match &entry.subcommand {
                    Some(_) => format!("service subcommand `{}`", entry.name),
                    None => format!("service binary `{}`", entry.name),
                };
                let d = cx
                    .report(
                        fact.span.clone(),
                        format!("{} runs schema migrations at start-up of {what}", m.what),
                    )
                    .label("runs every time an instance of the service starts")
                    .secondary(serve_span.clone(), format!("the same process then runs {}", marker.what))
                    .note("migrations are an admin process: run them once per release as a one-off process, not inside every instance, where they race during rolling deploys and crash-loop the service when they fail")
                    .help("move them to a dedicated binary (`src/bin/migrate.rs`), a `migrate` subcommand, or the release step (`sqlx migrate run`, `diesel migration run`, a Kubernetes Job)");
                d.origin = Some(fact.origin);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StartupMigration;
    use crate::test_support::{MIGRATE_BIN, check_package_rule, file_line_messages};

    const SQLX: &str = "[dependencies]\nsqlx = \"0.8\"\ntokio = \"1\"\naxum = \"0.8\"\n";

    fn found(manifest: &str, files: &[(&str, &str)]) -> Vec<String> {
        file_line_messages(&check_package_rule(&StartupMigration, manifest, files))
    }

    const SERVE: &str = r#"
async fn serve(pool: sqlx::PgPool) {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();
    axum::serve(listener, axum::Router::new().with_state(pool)).await.unwrap();
}
"#;

    #[test]
    fn sqlx_migrate_in_a_service_main_fires() {
        let main = format!(
            r#"
#[tokio::main]
async fn main() -> anyhow::Result<()> {{
    let pool = sqlx::PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    serve(pool).await;
    Ok(())
}}
{SERVE}"#
        );
        assert_eq!(
            found(SQLX, &[("src/main.rs", &main)]),
            ["main.rs:5 sqlx `migrate!` runs schema migrations at start-up of service binary `app`"]
        );
    }

    #[test]
    fn migrations_in_the_lib_reached_from_main_fire() {
        let lib = r#"
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();
pub mod db {
    pub fn init(conn: &mut diesel::PgConnection) {
        conn.run_pending_migrations(super::MIGRATIONS).expect("migrations");
    }
}
"#;
        let main = r#"
fn main() {
    let mut conn = connect();
    app::db::init(&mut conn);
    let server = tiny_http::Server::http("0.0.0.0:8000").unwrap();
    for request in server.incoming_requests() { let _ = request; }
}
"#;
        assert_eq!(
            found(
                "[dependencies]\ndiesel = \"2\"\ndiesel_migrations = \"2\"\n",
                &[("src/lib.rs", lib), ("src/main.rs", main)]
            ),
            ["lib.rs:6 diesel `run_pending_migrations` runs schema migrations at start-up of service binary `app`"]
        );
    }

    #[test]
    fn refinery_and_sea_orm() {
        let main = r#"
mod embedded { refinery::embed_migrations!("migrations"); }
use migration::{Migrator, MigratorTrait};
#[tokio::main]
async fn main() {
    let (mut client, conn) = tokio_postgres::connect(&std::env::var("DATABASE_URL").unwrap(), tokio_postgres::NoTls).await.unwrap();
    embedded::migrations::runner().run_async(&mut client).await.unwrap();
    let db = sea_orm::Database::connect(std::env::var("DATABASE_URL").unwrap()).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();
    axum::serve(listener, axum::Router::new()).await.unwrap();
}
"#;
        assert_eq!(
            found(
                "[dependencies]\nrefinery = \"0.8\"\nsea-orm = \"1\"\nmigration = \"1\"\n",
                &[("src/main.rs", main)]
            ),
            [
                "main.rs:7 refinery `runner().run_async` runs schema migrations at start-up of service binary `app`",
                "main.rs:9 sea-orm `Migrator::up` runs schema migrations at start-up of service binary `app`",
            ]
        );
    }

    #[test]
    fn subcommands_flags_and_admin_binaries_do_not_fire() {
        let main = format!(
            r#"
use clap::{{Parser, Subcommand}};
#[derive(Parser)] struct Cli {{ #[arg(long)] migrate: bool, #[command(subcommand)] cmd: Cmd }}
#[derive(Subcommand)] enum Cmd {{ Serve, Migrate }}
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();
#[tokio::main]
async fn main() -> anyhow::Result<()> {{
    let cli = Cli::parse();
    let pool = sqlx::PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    if cli.migrate {{
        MIGRATOR.run(&pool).await?;
    }}
    match cli.cmd {{
        Cmd::Migrate => migrate(&pool).await?,
        Cmd::Serve => serve(pool).await,
    }}
    Ok(())
}}
async fn migrate(pool: &sqlx::PgPool) -> anyhow::Result<()> {{
    sqlx::migrate!().run(pool).await?;
    Ok(())
}}
{SERVE}"#
        );
        let test_only = format!(
            r#"
#[tokio::main]
async fn main() {{ serve(connect().await).await; }}
#[cfg(test)]
mod tests {{
    #[tokio::test]
    async fn migrates() {{ sqlx::migrate!().run(&pool()).await.unwrap(); }}
}}
{SERVE}"#
        );
        assert_eq!(
            found(
                SQLX,
                &[
                    ("src/main.rs", &main),
                    ("src/bin/migrate.rs", MIGRATE_BIN),
                    ("src/bin/web.rs", &test_only)
                ]
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_static_migrator_run_unconditionally_fires() {
        let main = format!(
            r#"
use sqlx::migrate::Migrator;
static MIGRATOR: Migrator = sqlx::migrate!();
#[tokio::main]
async fn main() {{
    let pool = connect().await;
    MIGRATOR.run(&pool).await.expect("migrations");
    serve(pool).await;
}}
{SERVE}"#
        );
        assert_eq!(
            found(SQLX, &[("src/main.rs", &main)]),
            ["main.rs:7 sqlx `Migrator::run` runs schema migrations at start-up of service binary `app`"]
        );
    }

    #[test]
    fn result_matches_are_not_gates() {
        let main = format!(
            r#"
#[tokio::main]
async fn main() {{
    match sqlx::PgPool::connect(&std::env::var("DATABASE_URL").unwrap()).await {{
        Ok(pool) => {{
            sqlx::migrate!().run(&pool).await.unwrap();
            serve(pool).await;
        }}
        Err(e) => eprintln!("{{e}}"),
    }}
}}
{SERVE}"#
        );
        assert_eq!(found(SQLX, &[("src/main.rs", &main)]).len(), 1);
    }
}
