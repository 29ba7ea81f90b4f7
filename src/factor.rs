//! The twelve factors: numerals, titles and the pages of 12factor.net.

/// The twelve factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Factor {
    Codebase,
    Dependencies,
    Config,
    BackingServices,
    BuildReleaseRun,
    Processes,
    PortBinding,
    Concurrency,
    Disposability,
    DevProdParity,
    Logs,
    AdminProcesses,
}

impl Factor {
    pub const ALL: [Factor; 12] = [
        Factor::Codebase,
        Factor::Dependencies,
        Factor::Config,
        Factor::BackingServices,
        Factor::BuildReleaseRun,
        Factor::Processes,
        Factor::PortBinding,
        Factor::Concurrency,
        Factor::Disposability,
        Factor::DevProdParity,
        Factor::Logs,
        Factor::AdminProcesses,
    ];

    /// The roman numeral of the factor, `I` to `XII`.
    pub fn numeral(self) -> &'static str {
        ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"][self as usize]
    }

    pub fn title(self) -> &'static str {
        [
            "Codebase",
            "Dependencies",
            "Config",
            "Backing services",
            "Build, release, run",
            "Processes",
            "Port binding",
            "Concurrency",
            "Disposability",
            "Dev/prod parity",
            "Logs",
            "Admin processes",
        ][self as usize]
    }

    fn page(self) -> &'static str {
        [
            "codebase",
            "dependencies",
            "config",
            "backing-services",
            "build-release-run",
            "processes",
            "port-binding",
            "concurrency",
            "disposability",
            "dev-prod-parity",
            "logs",
            "admin-processes",
        ][self as usize]
    }

    pub fn url(self) -> String {
        format!("https://12factor.net/{}", self.page())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_urls() {
        assert_eq!(Factor::BuildReleaseRun.url(), "https://12factor.net/build-release-run");
        assert_eq!(Factor::AdminProcesses.numeral(), "XII");
    }
}
