//! The calls that connect to a backing service, per crate, and which of
//! their arguments is the address.

use crate::engine::{CallFrame, Chain};

use super::urls::{
    AMQP, CASSANDRA, CLICKHOUSE, GENERIC, KAFKA, MEMCACHED, MONGODB, MYSQL, NATS, POSTGRES, REDIS, SQLITE, Service,
};

/// Functions called by path: crate, the path's last segments, the index of
/// the address argument, and the service.
const CONNECT_FUNCTIONS: &[(&str, &str, usize, Service)] = &[
    // sqlx
    ("sqlx", "Pool::connect", 0, GENERIC),
    ("sqlx", "Pool::connect_lazy", 0, GENERIC),
    ("sqlx", "PgPool::connect", 0, POSTGRES),
    ("sqlx", "PgPool::connect_lazy", 0, POSTGRES),
    ("sqlx", "MySqlPool::connect", 0, MYSQL),
    ("sqlx", "MySqlPool::connect_lazy", 0, MYSQL),
    ("sqlx", "SqlitePool::connect", 0, SQLITE),
    ("sqlx", "SqlitePool::connect_lazy", 0, SQLITE),
    ("sqlx", "AnyPool::connect", 0, GENERIC),
    ("sqlx", "AnyPool::connect_lazy", 0, GENERIC),
    ("sqlx", "PgConnection::connect", 0, POSTGRES),
    ("sqlx", "MySqlConnection::connect", 0, MYSQL),
    ("sqlx", "SqliteConnection::connect", 0, SQLITE),
    ("sqlx", "AnyConnection::connect", 0, GENERIC),
    ("sqlx", "PgConnectOptions::from_str", 0, POSTGRES),
    ("sqlx", "MySqlConnectOptions::from_str", 0, MYSQL),
    ("sqlx", "SqliteConnectOptions::from_str", 0, SQLITE),
    // diesel, diesel-async
    ("diesel", "PgConnection::establish", 0, POSTGRES),
    ("diesel", "MysqlConnection::establish", 0, MYSQL),
    ("diesel", "SqliteConnection::establish", 0, SQLITE),
    ("diesel", "Connection::establish", 0, GENERIC),
    ("diesel", "ConnectionManager::new", 0, GENERIC),
    ("diesel_async", "AsyncPgConnection::establish", 0, POSTGRES),
    ("diesel_async", "AsyncMysqlConnection::establish", 0, MYSQL),
    ("diesel_async", "AsyncConnection::establish", 0, GENERIC),
    ("diesel_async", "AsyncDieselConnectionManager::new", 0, GENERIC),
    ("r2d2_diesel", "ConnectionManager::new", 0, GENERIC),
    ("r2d2", "ConnectionManager::new", 0, GENERIC),
    // postgres
    ("tokio_postgres", "connect", 0, POSTGRES),
    ("tokio_postgres", "Config::from_str", 0, POSTGRES),
    ("postgres", "Client::connect", 0, POSTGRES),
    ("postgres", "connect", 0, POSTGRES),
    // mysql
    ("mysql", "Pool::new", 0, MYSQL),
    ("mysql", "Opts::from_url", 0, MYSQL),
    ("mysql_async", "Pool::new", 0, MYSQL),
    ("mysql_async", "Pool::from_url", 0, MYSQL),
    ("mysql_async", "Opts::from_url", 0, MYSQL),
    // redis
    ("redis", "Client::open", 0, REDIS),
    ("redis", "ClusterClient::new", 0, REDIS),
    ("redis", "ClusterClient::open", 0, REDIS),
    ("bb8_redis", "RedisConnectionManager::new", 0, REDIS),
    ("r2d2_redis", "RedisConnectionManager::new", 0, REDIS),
    ("deadpool_redis", "Config::from_url", 0, REDIS),
    ("deadpool_redis", "Runtime::from_url", 0, REDIS),
    ("fred", "Config::from_url", 0, REDIS),
    ("fred", "RedisConfig::from_url", 0, REDIS),
    // AMQP
    ("lapin", "Connection::connect", 0, AMQP),
    ("amiquip", "Connection::insecure_open", 0, AMQP),
    ("amiquip", "Connection::open", 0, AMQP),
    ("deadpool_lapin", "Config::from_url", 0, AMQP),
    // MongoDB
    ("mongodb", "Client::with_uri_str", 0, MONGODB),
    ("mongodb", "ClientOptions::parse", 0, MONGODB),
    ("mongodb", "ClientOptions::parse_async", 0, MONGODB),
    ("mongodb", "ConnectionString::parse", 0, MONGODB),
    // NATS
    ("async_nats", "connect", 0, NATS),
    ("nats", "connect", 0, NATS),
    // sea-orm
    ("sea_orm", "Database::connect", 0, GENERIC),
    ("sea_orm", "ConnectOptions::new", 0, GENERIC),
    // memcached
    ("memcache", "connect", 0, MEMCACHED),
    ("memcache", "Client::connect", 0, MEMCACHED),
];

/// Methods of builders: crate, the builder type, the method, the address
/// argument.
const CONNECT_METHODS: &[(&str, &str, &str, usize, Service)] = &[
    ("sqlx", "PgPoolOptions", "connect", 0, POSTGRES),
    ("sqlx", "PgPoolOptions", "connect_lazy", 0, POSTGRES),
    ("sqlx", "MySqlPoolOptions", "connect", 0, MYSQL),
    ("sqlx", "MySqlPoolOptions", "connect_lazy", 0, MYSQL),
    ("sqlx", "SqlitePoolOptions", "connect", 0, SQLITE),
    ("sqlx", "SqlitePoolOptions", "connect_lazy", 0, SQLITE),
    ("sqlx", "PoolOptions", "connect", 0, GENERIC),
    ("sqlx", "PoolOptions", "connect_lazy", 0, GENERIC),
    ("sqlx", "AnyPoolOptions", "connect", 0, GENERIC),
    ("async_nats", "ConnectOptions", "connect", 0, NATS),
    ("clickhouse", "Client", "with_url", 0, CLICKHOUSE),
    ("scylla", "SessionBuilder", "known_node", 0, CASSANDRA),
    ("sea_orm", "ConnectOptions", "connect", 0, GENERIC),
    // Connection option builders: `PgConnectOptions::new().host("db")`.
    ("sqlx", "PgConnectOptions", "host", 0, POSTGRES),
    ("sqlx", "MySqlConnectOptions", "host", 0, MYSQL),
    ("tokio_postgres", "Config", "host", 0, POSTGRES),
    ("postgres", "Config", "host", 0, POSTGRES),
    ("mysql", "OptsBuilder", "ip_or_hostname", 0, MYSQL),
    ("mysql_async", "OptsBuilder", "ip_or_hostname", 0, MYSQL),
];

/// Config structs written as literals, and their address fields:
/// `deadpool_postgres::Config { host: Some("db".into()), .. }`.
const CONFIG_STRUCTS: &[(&str, &str, &[&str], Service)] = &[
    ("deadpool_postgres", "Config", &["host", "hosts", "url"], POSTGRES),
    ("deadpool_redis", "Config", &["url"], REDIS),
    ("deadpool_lapin", "Config", &["url"], AMQP),
];

/// The address fields of a config struct literal whose type is one of
/// `CONFIG_STRUCTS`.
pub fn config_struct(paths: &[String], own_crate: &str) -> Option<(&'static [&'static str], Service, &'static str)> {
    paths.iter().find_map(|p| {
        CONFIG_STRUCTS
            .iter()
            .find(|(krate, ty, _, _)| *krate != own_crate && path_matches(p, krate, ty))
            .map(|(_, ty, fields, service)| (*fields, *service, *ty))
    })
}

/// Kafka client settings (`ClientConfig::new().set(KEY, ADDRESS)`) that
/// name brokers.
const KAFKA_BROKER_KEYS: &[&str] = &["bootstrap.servers", "metadata.broker.list"];

/// `sqlx::postgres::PgPool::connect` is `PgPool::connect` of crate `sqlx`.
fn path_matches(path: &str, krate: &str, suffix: &str) -> bool {
    path.strip_prefix(krate)
        .and_then(|rest| rest.strip_prefix("::"))
        .is_some_and(|rest| rest == suffix || rest.ends_with(&format!("::{suffix}")))
}

/// The constructor a path call is, with its address argument. Calls inside
/// `own_crate`, the crate being checked, are its implementation, not a use.
pub fn connect_function(paths: &[String], own_crate: &str) -> Option<(usize, Service, &'static str)> {
    paths.iter().find_map(|p| {
        CONNECT_FUNCTIONS
            .iter()
            .find(|(krate, suffix, _, _)| *krate != own_crate && path_matches(p, krate, suffix))
            .map(|(_, suffix, arg, service)| (*arg, *service, *suffix))
    })
}

/// The builder method a method call is, with its address argument.
pub fn connect_method(
    method: &str,
    chain: &Chain,
    first_str: Option<&str>,
    own_crate: &str,
) -> Option<(usize, Service, String)> {
    if method == "set" && first_str.is_some_and(|k| KAFKA_BROKER_KEYS.contains(&k)) {
        return Some((1, KAFKA, "ClientConfig::set".into()));
    }
    CONNECT_METHODS.iter().find_map(|(krate, ty, m, arg, service)| {
        (*m == method
            && *krate != own_crate
            && chain.root.iter().any(|r| {
                r.rsplit_once("::")
                    .is_some_and(|(owner, _)| path_matches(owner, krate, ty))
            }))
        .then(|| (*arg, *service, format!("{ty}::{m}")))
    })
}

/// The connection call whose address the visitor is in, when the innermost
/// enclosing call is one and the node is in its address argument.
pub fn address_of(frame: &CallFrame, own_crate: &str) -> Option<(Service, String)> {
    let (arg, service, name) = match &frame.method {
        Some(m) => connect_method(m, &frame.chain, frame.first_str.as_deref(), own_crate)?,
        None => {
            let (arg, service, name) = connect_function(&frame.paths, own_crate)?;
            (arg, service, name.to_string())
        }
    };
    (frame.arg == arg).then_some((service, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_by_crate_and_suffix() {
        let f = |s: &str| connect_function(&[s.to_string()], "app");
        assert_eq!(f("sqlx::PgPool::connect").unwrap().1, POSTGRES);
        assert_eq!(f("sqlx::postgres::PgPool::connect").unwrap().1, POSTGRES);
        assert_eq!(f("redis::Client::open").unwrap().1, REDIS);
        assert_eq!(f("tokio_postgres::connect").unwrap().1, POSTGRES);
        assert!(f("my_app::redis::Client::open").is_none());
        assert!(f("std::net::TcpStream::connect").is_none());
        assert!(f("sqlx::query").is_none());
        // The crate's own calls are its implementation.
        let own = connect_function(&["mongodb::options::ClientOptions::parse".to_string()], "mongodb");
        assert!(own.is_none());
    }

    #[test]
    fn builder_methods() {
        let chain = Chain {
            root: vec!["sqlx::postgres::PgPoolOptions::new".into()],
            ..Chain::default()
        };
        let none = Chain::default();
        assert_eq!(connect_method("connect", &chain, None, "app").unwrap().0, 0);
        assert!(connect_method("connect", &chain, None, "sqlx").is_none());
        assert!(connect_method("connect", &none, None, "app").is_none());
        let kafka = connect_method("set", &none, Some("bootstrap.servers"), "app");
        assert_eq!(kafka.unwrap().1, KAFKA);
        assert!(connect_method("set", &none, Some("group.id"), "app").is_none());
        let pg = Chain {
            root: vec!["sqlx::postgres::PgConnectOptions::new".into()],
            ..Chain::default()
        };
        assert_eq!(connect_method("host", &pg, None, "app").unwrap().1, POSTGRES);
        let dp = config_struct(&["deadpool_postgres::Config".to_string()], "app").unwrap();
        assert_eq!(dp.0, ["host", "hosts", "url"]);
    }
}
