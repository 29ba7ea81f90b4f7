//! Backing-service addresses in string literals: URLs with a service scheme,
//! `host:port` on a well-known port, credentials inside URLs. Shared by the
//! rules of factors III and IV.

use std::ops::Range;

/// A kind of backing service and the variable that conventionally holds
/// its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Service {
    #[serde(deserialize_with = "crate::diagnostic::wire::static_str")]
    pub name: crate::diagnostic::wire::StaticStr,
    #[serde(deserialize_with = "crate::diagnostic::wire::static_str")]
    pub env: crate::diagnostic::wire::StaticStr,
}

pub const POSTGRES: Service = Service {
    name: "PostgreSQL",
    env: "DATABASE_URL",
};
pub const MYSQL: Service = Service {
    name: "MySQL",
    env: "DATABASE_URL",
};
pub const SQLITE: Service = Service {
    name: "SQLite",
    env: "DATABASE_URL",
};
pub const REDIS: Service = Service {
    name: "Redis",
    env: "REDIS_URL",
};
pub const AMQP: Service = Service {
    name: "AMQP broker",
    env: "AMQP_URL",
};
pub const MONGODB: Service = Service {
    name: "MongoDB",
    env: "MONGODB_URI",
};
pub const NATS: Service = Service {
    name: "NATS",
    env: "NATS_URL",
};
pub const KAFKA: Service = Service {
    name: "Kafka",
    env: "KAFKA_BROKERS",
};
pub const MEMCACHED: Service = Service {
    name: "Memcached",
    env: "MEMCACHED_URL",
};
pub const CLICKHOUSE: Service = Service {
    name: "ClickHouse",
    env: "CLICKHOUSE_URL",
};
pub const ELASTICSEARCH: Service = Service {
    name: "Elasticsearch",
    env: "ELASTICSEARCH_URL",
};
pub const CASSANDRA: Service = Service {
    name: "Cassandra",
    env: "CASSANDRA_NODES",
};
pub const NEO4J: Service = Service {
    name: "Neo4j",
    env: "NEO4J_URI",
};
/// A connection string passed to a constructor, kind unknown.
pub const GENERIC: Service = Service {
    name: "backing service",
    env: "DATABASE_URL",
};

/// URL schemes of backing services.
pub(crate) const SCHEMES: &[(&str, Service)] = &[
    ("postgres", POSTGRES),
    ("postgresql", POSTGRES),
    ("mysql", MYSQL),
    ("mariadb", MYSQL),
    ("sqlite", SQLITE),
    ("redis", REDIS),
    ("rediss", REDIS),
    ("redis+unix", REDIS),
    ("valkey", REDIS),
    ("amqp", AMQP),
    ("amqps", AMQP),
    ("mongodb", MONGODB),
    ("mongodb+srv", MONGODB),
    ("nats", NATS),
    ("tls", NATS),
    ("kafka", KAFKA),
    ("memcached", MEMCACHED),
    ("memcache", MEMCACHED),
    ("clickhouse", CLICKHOUSE),
    ("bolt", NEO4J),
    ("neo4j", NEO4J),
    ("neo4j+s", NEO4J),
];

/// Schemes that are only a service address with a port of `PORTS`
/// (`tls://` is also NATS's, but not only).
pub(crate) const SCHEMES_NEEDING_PORT: &[&str] = &["tls"];

/// Well-known ports of backing services.
const PORTS: &[(u16, Service)] = &[
    (5432, POSTGRES),
    (3306, MYSQL),
    (6379, REDIS),
    (6380, REDIS),
    (5672, AMQP),
    (5671, AMQP),
    (27017, MONGODB),
    (4222, NATS),
    (9092, KAFKA),
    (11211, MEMCACHED),
    (8123, CLICKHOUSE),
    (9200, ELASTICSEARCH),
    (9042, CASSANDRA),
    (7687, NEO4J),
];

/// Host names that are placeholders in documentation, not addresses.
const PLACEHOLDER_HOSTS: &[&str] = &[
    "host",
    "hostname",
    "server",
    "domain",
    "address",
    "addr",
    "ip",
    "example.com",
    "example.org",
    "example.net",
    "your-host",
    "yourhost",
    "my-host",
    "myhost",
];

/// A backing-service address found in a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub service: Service,
    /// `scheme://` when the address is a URL.
    pub scheme: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// Byte range of a password in the literal's value.
    pub password: Option<Range<usize>>,
}

/// A URL with a backing-service scheme and a real host, or a `host:port`
/// on a well-known service port. The whole (trimmed) value must be the
/// address: a message that mentions one is not.
pub fn service_address(value: &str) -> Option<Address> {
    // Ranges are into the untrimmed value.
    let lead = value.len() - value.trim_start().len();
    let value = value.trim();
    // Templates (`{}`, `<host>`, `${VAR}`) and prose are not addresses.
    if value.is_empty() || value.contains(char::is_whitespace) || value.contains(['{', '}', '<', '>', '$']) {
        return None;
    }
    // sqlx's `sqlite:todos.db`, without the slashes.
    if let Some(rest) = value.strip_prefix("sqlite:")
        && !rest.starts_with("//")
    {
        return sqlite_file(rest).then(|| Address {
            service: SQLITE,
            scheme: Some("sqlite".into()),
            host: rest.split('?').next().unwrap_or("").to_string(),
            port: None,
            password: None,
        });
    }
    if let Some((scheme, rest)) = value.split_once("://") {
        let lower = scheme.to_ascii_lowercase();
        let service = SCHEMES.iter().find(|(s, _)| *s == lower)?.1;
        if lower == "sqlite" {
            return sqlite_file(rest).then(|| Address {
                service,
                scheme: Some(lower),
                host: rest.split('?').next().unwrap_or("").to_string(),
                port: None,
                password: None,
            });
        }
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let (userinfo, hosts) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        if hosts.contains('%') {
            return None;
        }
        // `mongodb://a:27017,b:27017`: judge the first host.
        let first = hosts.split(',').next().unwrap_or("");
        let (host, port) = split_host_port(first)?;
        if !real_host(host) {
            return None;
        }
        if SCHEMES_NEEDING_PORT.contains(&lower.as_str())
            && !port.is_some_and(|p| PORTS.iter().any(|(q, s)| *q == p && *s == service))
        {
            return None;
        }
        let password = userinfo.and_then(|u| {
            let (_, pw) = u.split_once(':')?;
            if pw.is_empty() {
                return None;
            }
            let start = lead + scheme.len() + 3 + u.len() - pw.len();
            Some(start..start + pw.len())
        });
        return Some(Address {
            service,
            scheme: Some(lower),
            host: host.to_string(),
            port,
            password,
        });
    }
    if value.contains(['/', '@', '%']) {
        return None;
    }
    let (host, port) = split_host_port(value)?;
    let port = port?;
    let service = PORTS.iter().find(|(p, _)| *p == port)?.1;
    if !real_host(host) {
        return None;
    }
    Some(Address {
        service,
        scheme: None,
        host: host.to_string(),
        port: Some(port),
        password: None,
    })
}

/// `sqlite://data/app.db`, `sqlite:///var/lib/app.db?mode=rwc`; not
/// `sqlite::memory:` or `sqlite://:memory:`.
fn sqlite_file(rest: &str) -> bool {
    let path = rest.split('?').next().unwrap_or("");
    !path.is_empty()
        && !path.contains(":memory:")
        && !path.starts_with(':')
        && !rest.contains("mode=memory")
        && path != "/"
}

/// `db:5432`, `[::1]:5432`, `localhost`.
fn split_host_port(s: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((host, port));
    }
    match s.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((s, None)),
    }
}

/// A host name or IP address that is not empty and not a placeholder.
fn real_host(host: &str) -> bool {
    !host.is_empty()
        && !PLACEHOLDER_HOSTS.contains(&host.to_ascii_lowercase().as_str())
        && !host.ends_with(".example.com")
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
        && host.chars().any(|c| c.is_ascii_alphanumeric())
}

/// The byte range of a password in `scheme://user:password@host`, for any
/// scheme.
pub fn url_password(value: &str) -> Option<Range<usize>> {
    let (scheme, rest) = value.split_once("://")?;
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return None;
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let (userinfo, host) = authority.rsplit_once('@')?;
    let (_, pw) = userinfo.split_once(':')?;
    if pw.is_empty() || host.is_empty() || pw.contains(['{', '}', '$', '<']) {
        return None;
    }
    let start = scheme.len() + 3 + userinfo.len() - pw.len();
    Some(start..start + pw.len())
}

/// The byte range of a string literal's value in the file, when the
/// literal has no escapes (so value offsets are file offsets); else the
/// range between its quotes.
pub fn literal_value_range(file_text: &str, token: Range<usize>, value: &str) -> (Range<usize>, bool) {
    let Some(text) = file_text.get(token.clone()) else {
        return (token, false);
    };
    let (Some(open), Some(close)) = (text.find('"'), text.rfind('"')) else {
        return (token, false);
    };
    if close <= open {
        return (token, false);
    }
    let inner = token.start + open + 1..token.start + close;
    let exact = file_text.get(inner.clone()) == Some(value);
    (inner, exact)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(s: &str) -> Option<(&'static str, String, Option<u16>)> {
        service_address(s).map(|a| (a.service.env, a.host, a.port))
    }

    #[test]
    fn service_urls() {
        assert_eq!(
            svc("postgres://app:pw@db.internal:5432/app"),
            Some(("DATABASE_URL", "db.internal".into(), Some(5432)))
        );
        assert_eq!(svc("redis://127.0.0.1/"), Some(("REDIS_URL", "127.0.0.1".into(), None)));
        assert_eq!(svc("amqp://guest:guest@localhost:5672/%2f").unwrap().0, "AMQP_URL");
        assert_eq!(svc("mongodb+srv://cluster0.abc.mongodb.net").unwrap().0, "MONGODB_URI");
        assert_eq!(svc("mongodb://a:27017,b:27017/db").unwrap().1, "a");
        assert_eq!(svc("sqlite://data/app.db").unwrap().0, "DATABASE_URL");
        assert_eq!(svc("sqlite:todos.db").unwrap().1, "todos.db");
        assert_eq!(
            svc("localhost:6379"),
            Some(("REDIS_URL", "localhost".into(), Some(6379)))
        );
        assert_eq!(svc("10.0.0.5:9092").unwrap().0, "KAFKA_BROKERS");
    }

    #[test]
    fn not_service_addresses() {
        for s in [
            "postgres://",
            "redis://",
            "https://api.example.com",
            "postgres://{}:{}@{}/{}",
            "postgres://user:password@host:port/database",
            "postgres://host/db",
            "redis://<host>:6379",
            "connect to postgres://localhost/db",
            "sqlite::memory:",
            "sqlite:",
            "sqlite:?mode=memory",
            "sqlite://:memory:",
            "sqlite://file?mode=memory",
            "localhost:8080",
            "127.0.0.1:3000",
            "tls://localhost:443",
            "${DATABASE_URL}",
            "1.2.3:5432x",
            "host:5432",
        ] {
            assert_eq!(svc(s), None, "{s}");
        }
    }

    #[test]
    fn passwords_in_urls() {
        let s = "postgres://app:s3cr3t@db/app";
        let a = service_address(s).unwrap();
        assert_eq!(&s[a.password.unwrap()], "s3cr3t");
        assert_eq!(&s[url_password(s).unwrap()], "s3cr3t");
        let padded = "  redis://:pw123@cache:6379 ";
        assert_eq!(&padded[service_address(padded).unwrap().password.unwrap()], "pw123");
        assert_eq!(url_password("https://user@host/x"), None);
        assert_eq!(url_password("postgres://u:{}@h/x"), None);
        let s = "https://u:p%40ss@h:8443/x";
        assert_eq!(&s[url_password(s).unwrap()], "p%40ss");
    }

    #[test]
    fn literal_ranges() {
        let text = r##"let a = "x:y"; let b = r#"q"#; let c = "a\"b";"##;
        let (r, exact) = literal_value_range(text, 8..13, "x:y");
        assert_eq!((&text[r], exact), ("x:y", true));
        let (r, exact) = literal_value_range(text, 23..29, "q");
        assert_eq!((&text[r], exact), ("q", true));
        let (r, exact) = literal_value_range(text, 39..45, "a\"b");
        assert_eq!((&text[r], exact), ("a\\\"b", false));
    }
}
