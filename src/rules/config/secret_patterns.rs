//! twelve:allow(hardcoded_secret)
//! The detector families of `hardcoded_secret`: provider token formats,
//! private key blocks and credentials in URLs, as data.
//!
//! Each family has a regex (the secret is capture group 1 when there is one,
//! else the whole match), keywords that must occur in the text for the regex
//! to run (ASCII case-insensitive; one Aho-Corasick pass finds them all), a
//! real-shaped example and a look-alike that must not match. The examples are
//! random strings in each provider's format, not real credentials; this
//! file allows the rule for itself.

use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

/// What kind of evidence a family is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A provider's token format, or a private key block: a secret wherever it
    /// appears, test code included.
    Provider,
    /// `scheme://user:password@host`.
    UrlCredentials,
}

/// One detector family.
#[derive(Debug)]
pub struct Family {
    /// Stable identifier, shown in `explain` and in messages.
    pub name: &'static str,
    /// What the secret is, for messages: "GitHub personal access token".
    pub title: &'static str,
    pub kind: Kind,
    /// Substrings of which one must occur for the regex to run.
    pub keywords: &'static [&'static str],
    pub regex: &'static str,
    /// A value the family finds.
    pub example: &'static str,
    /// A value that looks alike and must not be found.
    pub lookalike: &'static str,
}

/// Every family, by provider.
pub const FAMILIES: &[Family] = &[
    Family {
        name: "aws_access_key_id",
        title: "AWS access key id",
        kind: Kind::Provider,
        keywords: &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
        regex: r"\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        example: "AKIA6RWJYAX6R5OAJ4XK",
        lookalike: "AKIAIOSFODNN7EXAMPLE",
    },
    Family {
        name: "aws_secret_access_key",
        title: "AWS secret access key",
        kind: Kind::Provider,
        keywords: &["secret"],
        regex: r#"(?i)aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)"#,
        example: "aws_secret_access_key = RAhzjRZlchCl24o2rOugvkZ189XdkyHTUXNoGEQU",
        lookalike: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    },
    Family {
        name: "github_pat",
        title: "GitHub personal access token",
        kind: Kind::Provider,
        keywords: &["ghp_"],
        regex: r"\b(ghp_[A-Za-z0-9]{36})\b",
        example: "ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw",
        lookalike: "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    },
    Family {
        name: "github_oauth_token",
        title: "GitHub OAuth access token",
        kind: Kind::Provider,
        keywords: &["gho_"],
        regex: r"\b(gho_[A-Za-z0-9]{36})\b",
        example: "gho_MOUdGDxnvsDES92Ep9kD7JxlmXVo6Ma8r6XZ",
        lookalike: "gho_MOUdGDxnvsDES92Ep9kD7Jx",
    },
    Family {
        name: "github_user_token",
        title: "GitHub user-to-server token",
        kind: Kind::Provider,
        keywords: &["ghu_"],
        regex: r"\b(ghu_[A-Za-z0-9]{36})\b",
        example: "ghu_vlpYaGcpNhxIGjb7u4YQ1rOhoYHGEFOwqR8C",
        lookalike: "ghu_vlpYaGcpNhxIGjb7u4YQ1rOhoYHGEFOwqR8C_suffix",
    },
    Family {
        name: "github_app_token",
        title: "GitHub server-to-server token",
        kind: Kind::Provider,
        keywords: &["ghs_"],
        regex: r"\b(ghs_[A-Za-z0-9]{36})\b",
        example: "ghs_5VkCsN3crv83GOSCTYnUsHqbRaSbiJ4rAipm",
        lookalike: "ghs_5VkCsN3crv83GOSCTYnUs-qbRaSbiJ4rAipm",
    },
    Family {
        name: "github_refresh_token",
        title: "GitHub refresh token",
        kind: Kind::Provider,
        keywords: &["ghr_"],
        regex: r"\b(ghr_[A-Za-z0-9]{36})\b",
        example: "ghr_BEdJKNU679qWcABLf5zYmLJwxOVyKkbSTj5b",
        lookalike: "ghr_token",
    },
    Family {
        name: "github_fine_grained_pat",
        title: "GitHub fine-grained personal access token",
        kind: Kind::Provider,
        keywords: &["github_pat_"],
        regex: r"\b(github_pat_[A-Za-z0-9_]{82})\b",
        example: "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",
        lookalike: "github_pat_Zc5e6AImY7yYgTwmtr7YSR",
    },
    Family {
        name: "gitlab_pat",
        title: "GitLab personal access token",
        kind: Kind::Provider,
        keywords: &["glpat-"],
        regex: r"\b(glpat-[A-Za-z0-9_-]{20,})",
        example: "glpat-z3LCsQu7XF66gD0Y4gnN",
        lookalike: "glpat-short",
    },
    Family {
        name: "gitlab_token",
        title: "GitLab deploy, runner or trigger token",
        kind: Kind::Provider,
        keywords: &[
            "gldt-", "glrt-", "glptt-", "glcbt-", "glft-", "glsoat-", "glimt-", "gloas-",
        ],
        regex: r"\b((?:gldt|glrt|glptt|glcbt|glft|glsoat|glimt|gloas)-[A-Za-z0-9_-]{20,})",
        example: "gldt-wWUbuXF5xOtkiEoZIiqF",
        lookalike: "gldt-deploy-token",
    },
    Family {
        name: "slack_token",
        title: "Slack token",
        kind: Kind::Provider,
        keywords: &["xox"],
        regex: r"\b(xox[abposr]-[0-9]{8,13}-[0-9A-Za-z-]{10,})",
        example: "xoxb-065469469522-4096669456676-8z0ZlkYn1qhrH4d31P3V0TwV",
        lookalike: "xoxb-not-a-token",
    },
    Family {
        name: "slack_app_token",
        title: "Slack app-level token",
        kind: Kind::Provider,
        keywords: &["xapp-"],
        regex: r"\b(xapp-\d-[A-Z0-9]{9,}-\d{10,}-[a-z0-9]{32,})",
        example: "xapp-1-ATITNB9TCAK-3234324809157-6e304cf9ebcd0804fb3dcb24b173d21070307f6eada7c2a1b493f480673fdaca",
        lookalike: "xapp-1-config",
    },
    Family {
        name: "slack_webhook",
        title: "Slack webhook URL",
        kind: Kind::Provider,
        keywords: &["hooks.slack.com"],
        regex: r"(https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_+/-]{30,})",
        example: "https://hooks.slack.com/services/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",
        lookalike: "https://hooks.slack.com/services/",
    },
    Family {
        name: "stripe_secret_key",
        title: "Stripe secret or restricted key",
        kind: Kind::Provider,
        keywords: &["_live_", "_prod_"],
        regex: r"\b((?:sk|rk)_(?:live|prod)_[A-Za-z0-9]{20,99})\b",
        example: "sk_live_v8GMDelNz4n8uNxNw28jsvvQ",
        lookalike: "pk_live_v8GMDelNz4n8uNxNw28jsvvQ",
    },
    Family {
        name: "stripe_webhook_secret",
        title: "Stripe webhook signing secret",
        kind: Kind::Provider,
        keywords: &["whsec_"],
        regex: r"\b(whsec_[A-Za-z0-9]{32,})\b",
        example: "whsec_PzcHvPIe1QHg3qkZFfRtkYCose1Sommr",
        lookalike: "whsec_...",
    },
    Family {
        name: "google_api_key",
        title: "Google API key",
        kind: Kind::Provider,
        keywords: &["AIza"],
        regex: r"\b(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
        example: "AIzapBx9N6q9Y47XUIzE_RTZNrdjLXL9t1OwH20",
        lookalike: "AIzaSy-your-key",
    },
    Family {
        name: "google_oauth_client_secret",
        title: "Google OAuth client secret",
        kind: Kind::Provider,
        keywords: &["GOCSPX-"],
        regex: r"\b(GOCSPX-[A-Za-z0-9_-]{28})(?:[^A-Za-z0-9_-]|$)",
        example: "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",
        lookalike: "GOCSPX-",
    },
    Family {
        name: "sendgrid_api_key",
        title: "SendGrid API key",
        kind: Kind::Provider,
        keywords: &["SG."],
        regex: r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)",
        example: "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",
        lookalike: "SG.n_xh3Mc-XTZkj6ZbV1sdQj",
    },
    Family {
        name: "twilio_api_key",
        title: "Twilio API key",
        kind: Kind::Provider,
        keywords: &["SK"],
        regex: r"\b(SK[0-9a-f]{32})\b",
        example: "SK93fbdba1909a41a763225da81d7baa1a",
        lookalike: "AC93fbdba1909a41a763225da81d7baa1a",
    },
    Family {
        name: "mailgun_api_key",
        title: "Mailgun API key",
        kind: Kind::Provider,
        keywords: &["key-"],
        regex: r"\b(key-[0-9a-f]{32})\b",
        example: "key-f6723ff56eca645fe436d6582afe2dc6",
        lookalike: "key-value-store",
    },
    Family {
        name: "mailchimp_api_key",
        title: "Mailchimp API key",
        kind: Kind::Provider,
        keywords: &["-us"],
        regex: r"\b([0-9a-f]{32}-us[0-9]{1,2})\b",
        example: "55425a517ff452e74f487882c580d1e4-us14",
        lookalike: "55425a517ff452e74f487882c580d1e4-users",
    },
    Family {
        name: "npm_token",
        title: "npm access token",
        kind: Kind::Provider,
        keywords: &["npm_"],
        regex: r"\b(npm_[A-Za-z0-9]{36})\b",
        example: "npm_9mOBX3JlRdR6bahUIjztJnfCP6T11I0fGlYs",
        lookalike: "npm_config_registry",
    },
    Family {
        name: "pypi_token",
        title: "PyPI upload token",
        kind: Kind::Provider,
        keywords: &["pypi-AgEIcHlwaS5vcmc"],
        regex: r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})",
        example: "pypi-AgEIcHlwaS5vcmciuZdQbtnkbIVHMTpv4m30VJUnnPJDPG99RapkZauD4-YXilu5v5NMEgazO-Y",
        lookalike: "pypi-AgEIcHlwaS5vcmc",
    },
    Family {
        name: "crates_io_token",
        title: "crates.io API token",
        kind: Kind::Provider,
        keywords: &["cio"],
        regex: r"\b(cio[A-Za-z0-9]{32})\b",
        example: "ciopv4wODK4YByvzZK5kAZ1WosMQ9w1kkbR",
        lookalike: "cioPrefixedIdentifierButNotAToken",
    },
    Family {
        name: "rubygems_api_key",
        title: "RubyGems API key",
        kind: Kind::Provider,
        keywords: &["rubygems_"],
        regex: r"\b(rubygems_[a-f0-9]{48})\b",
        example: "rubygems_aa719d37256e1468dba3a6a07dfa097a902e23a38d4c6961",
        lookalike: "rubygems_api_key",
    },
    Family {
        name: "nuget_api_key",
        title: "NuGet API key",
        kind: Kind::Provider,
        keywords: &["oy2"],
        regex: r"\b(oy2[a-z0-9]{43})\b",
        example: "oy22ak3md2duj00d10p372tinhjnw7i5ekz5rdy5nv1znr",
        lookalike: "oy2short",
    },
    Family {
        name: "openai_api_key",
        title: "OpenAI API key",
        kind: Kind::Provider,
        keywords: &["sk-"],
        regex: r"\b(sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{48}))(?:[^A-Za-z0-9_-]|$)",
        example: "sk-proj-Owri0qkQWaO7JTjNRRcnR2EIyh1rAbDLngscVlVAw3plkT9x",
        lookalike: "sk-proj-your-key-here",
    },
    Family {
        name: "anthropic_api_key",
        title: "Anthropic API key",
        kind: Kind::Provider,
        keywords: &["sk-ant-"],
        regex: r"\b(sk-ant-[a-z]+\d{2}-[A-Za-z0-9_-]{40,})",
        example: "sk-ant-api03-2N9-2F8Zqza7QvD9JjAsxcv-2C03uwS-Ow4wcnFG0K5R63iappeszhdp3X4d5XfwShzZnIJWyYAOFnuA_6yuohls3WVpXAA",
        lookalike: "sk-ant-api03-...",
    },
    Family {
        name: "huggingface_token",
        title: "Hugging Face access token",
        kind: Kind::Provider,
        keywords: &["hf_"],
        regex: r"\b(hf_[A-Za-z]{34})\b",
        example: "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",
        lookalike: "hf_hub_download_with_progress_bars",
    },
    Family {
        name: "groq_api_key",
        title: "Groq API key",
        kind: Kind::Provider,
        keywords: &["gsk_"],
        regex: r"\b(gsk_[A-Za-z0-9]{52})\b",
        example: "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",
        lookalike: "gsk_short",
    },
    Family {
        name: "xai_api_key",
        title: "xAI API key",
        kind: Kind::Provider,
        keywords: &["xai-"],
        regex: r"\b(xai-[A-Za-z0-9]{80})\b",
        example: "xai-DUTSZzje7P57RwRZKlvHZyUGS8Ls0vC2XRTU6OAt8eneHAGc8aQWu2kZFkybv9yqNkRVgihPVvD40pl9",
        lookalike: "xai-grok-beta",
    },
    Family {
        name: "perplexity_api_key",
        title: "Perplexity API key",
        kind: Kind::Provider,
        keywords: &["pplx-"],
        regex: r"\b(pplx-[a-f0-9]{48})\b",
        example: "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",
        lookalike: "pplx-70b-online",
    },
    Family {
        name: "replicate_api_token",
        title: "Replicate API token",
        kind: Kind::Provider,
        keywords: &["r8_"],
        regex: r"\b(r8_[A-Za-z0-9]{37})\b",
        example: "r8_gp9g4UW95U92fO4FuCbcFWRi14qODsOdCsBed",
        lookalike: "r8_g8_b8_a8",
    },
    Family {
        name: "shopify_token",
        title: "Shopify access token or shared secret",
        kind: Kind::Provider,
        keywords: &["shpat_", "shpca_", "shppa_", "shpss_"],
        regex: r"\b(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b",
        example: "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",
        lookalike: "shpat_897410ef1b3058f5",
    },
    Family {
        name: "square_access_token",
        title: "Square access token",
        kind: Kind::Provider,
        keywords: &["sq0atp-", "EAAA"],
        regex: r"\b(sq0atp-[0-9A-Za-z_-]{22}|EAAA[A-Za-z0-9_-]{60})(?:[^0-9A-Za-z_-]|$)",
        example: "sq0atp-rYMsiDiys1pNomI39sFP1z",
        lookalike: "sq0idp-rYMsiDiys1pNomI39sFP1z",
    },
    Family {
        name: "square_oauth_secret",
        title: "Square OAuth secret",
        kind: Kind::Provider,
        keywords: &["sq0csp-"],
        regex: r"\b(sq0csp-[0-9A-Za-z_-]{43})(?:[^0-9A-Za-z_-]|$)",
        example: "sq0csp-3wxFHNL6G-qIszDzPbbp66wV8pNr2Z1_VPU7NSb7wJ5",
        lookalike: "sq0csp-short",
    },
    Family {
        name: "shippo_api_token",
        title: "Shippo API token",
        kind: Kind::Provider,
        keywords: &["shippo_live_"],
        regex: r"\b(shippo_live_[a-f0-9]{40})\b",
        example: "shippo_live_60e82cb196f026fa1e09d933848568fd021022b0",
        lookalike: "shippo_test_60e82cb196f026fa1e09d933848568fd021022b0",
    },
    Family {
        name: "heroku_api_key",
        title: "Heroku API key",
        kind: Kind::Provider,
        keywords: &["HRKU-", "heroku"],
        regex: r#"(?i:\b(HRKU-AA[0-9A-Za-z_-]{58})|heroku[a-z_ -]{0,20}(?:key|token)[a-z_]*["']?\s*[:=]\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b)"#,
        example: "HRKU-AAdSq1UusOl3CrMJ0alC2-GnBW9J4TCnPku5p39er8-2XCED7M0HpZXReAkb",
        lookalike: "HEROKU_APP_NAME = 01234567-89ab-cdef-0123-456789abcdef",
    },
    Family {
        name: "digitalocean_token",
        title: "DigitalOcean token",
        kind: Kind::Provider,
        keywords: &["_v1_"],
        regex: r"\b(do[opr]_v1_[a-f0-9]{64})\b",
        example: "dop_v1_825731f78080db60aa10bdef0ed8c40ebcd4ba40b618973850a1248c02db8378",
        lookalike: "dop_v1_825731f78080db60",
    },
    Family {
        name: "discord_bot_token",
        title: "Discord bot token",
        kind: Kind::Provider,
        keywords: &[],
        regex: r"\b([MNO][A-Za-z0-9]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?:[^A-Za-z0-9_-]|$)",
        example: "MUMHDPOGZeGNBxJKk86uydFX1W.14RTcI.3LobTmTNHgLDRM1lZJSmGk-nkaR7ei5aOyQiq8",
        lookalike: "Mozilla/5.0 (X11; Linux x86_64)",
    },
    Family {
        name: "discord_webhook",
        title: "Discord webhook URL",
        kind: Kind::Provider,
        keywords: &["/api/webhooks/"],
        regex: r"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[A-Za-z0-9_-]{60,})",
        example: "https://discord.com/api/webhooks/275765260929131560/lN64DoH6UHZgxLmzGNsyTCFUg1neot-9GP_GDHEnjBxPSR2aXqe-Uz5IYrr96xwONnon",
        lookalike: "https://discord.com/api/webhooks/{id}/{token}",
    },
    Family {
        name: "telegram_bot_token",
        title: "Telegram bot token",
        kind: Kind::Provider,
        keywords: &[":AA"],
        regex: r"\b(\d{8,10}:AA[0-9A-Za-z_-]{33})(?:[^0-9A-Za-z_-]|$)",
        example: "8497815180:AAxQSLKAzu3Nos1xwX6Yq9sbOdrgVAMZ4vH",
        lookalike: "12:AA",
    },
    Family {
        name: "azure_storage_key",
        title: "Azure storage account key",
        kind: Kind::Provider,
        keywords: &["AccountKey="],
        regex: r"AccountKey=([A-Za-z0-9+/]{86}==)",
        example: "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=MjLnaMumMo/XNsIjNJx5wbQmEy/rUtg9GpCXupguF/qgl7z6xWoxsSQAciwTV0GutdCD4tJlSgbP/iWqlHHS7o==;EndpointSuffix=core.windows.net",
        lookalike: "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={key}",
    },
    Family {
        name: "azure_shared_access_key",
        title: "Azure shared access key",
        kind: Kind::Provider,
        keywords: &["SharedAccessKey="],
        regex: r"SharedAccessKey=([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)",
        example: "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=2E2mNubsNnc+Ydw3FyWdfA5/RShg5ofbz2XZYWNzFaQ=",
        lookalike: "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>",
    },
    Family {
        name: "azure_ad_client_secret",
        title: "Azure AD client secret",
        kind: Kind::Provider,
        keywords: &["Q~"],
        regex: r"(?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$)",
        example: "tkh8Q~LN4tdJnui271weaABHZKWHgwcfN9ksqi-Q",
        lookalike: "8Q~short",
    },
    Family {
        name: "databricks_token",
        title: "Databricks access token",
        kind: Kind::Provider,
        keywords: &["dapi"],
        regex: r"\b(dapi[a-f0-9]{32}(?:-\d)?)\b",
        example: "dapia216baf5787d89688d8a851ea68c681d",
        lookalike: "dapi_version",
    },
    Family {
        name: "doppler_token",
        title: "Doppler token",
        kind: Kind::Provider,
        keywords: &["dp.pt.", "dp.st.", "dp.sa.", "dp.ct."],
        regex: r"\b(dp\.(?:pt|st|sa|ct)\.[A-Za-z0-9]{40,44})\b",
        example: "dp.pt.xKBqHJmBoyPGuFcIpTAgNGeQ4Ffk8nbHtqvJRSfanM0",
        lookalike: "dp.pt.short",
    },
    Family {
        name: "linear_api_key",
        title: "Linear API key",
        kind: Kind::Provider,
        keywords: &["lin_api_"],
        regex: r"\b(lin_api_[A-Za-z0-9]{40})\b",
        example: "lin_api_p6ZdFguvGxrR08COjviozeSeM3K3DxxoQ3koUzI4",
        lookalike: "lin_api_base_url",
    },
    Family {
        name: "postman_api_key",
        title: "Postman API key",
        kind: Kind::Provider,
        keywords: &["PMAK-"],
        regex: r"\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b",
        example: "PMAK-07b6dec34b746c55b734f8f3-1b36916668115bb12fe8f830d5dad2ddec",
        lookalike: "PMAK-07b6dec34b746c55b734f8f3",
    },
    Family {
        name: "pulumi_token",
        title: "Pulumi access token",
        kind: Kind::Provider,
        keywords: &["pul-"],
        regex: r"\b(pul-[a-f0-9]{40})\b",
        example: "pul-197833503347cb378c231b7fc0524d64fd54d260",
        lookalike: "pul-request-template",
    },
    Family {
        name: "grafana_token",
        title: "Grafana service account or cloud token",
        kind: Kind::Provider,
        keywords: &["glsa_", "glc_"],
        regex: r"\b(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2})",
        example: "glsa_nbqjMf4tzmJj9EFyE3lRIAL0kphgOo2v_298d23e8",
        lookalike: "glsa_token",
    },
    Family {
        name: "new_relic_key",
        title: "New Relic user API key",
        kind: Kind::Provider,
        keywords: &["NRAK-"],
        regex: r"\b(NRAK-[A-Z0-9]{27})\b",
        example: "NRAK-6CHVJ6LZU6S75VFG98SWBU3HVP2",
        lookalike: "NRAK-KEY",
    },
    Family {
        name: "sentry_token",
        title: "Sentry auth token",
        kind: Kind::Provider,
        keywords: &["sntrys_", "sntryu_"],
        regex: r"\b(sntrys_eyJ[A-Za-z0-9+/=_-]{60,}|sntryu_[a-f0-9]{64})",
        example: "sntrys_eyJZVo1HNGW8disSnZuJYFet6Ty7g2WMkzAge6nXru3sE9EvAk8oUTpZvr1RbMxQBkNXngkgUMN5TS2n2qQ",
        lookalike: "sntrys_",
    },
    Family {
        name: "atlassian_api_token",
        title: "Atlassian API token",
        kind: Kind::Provider,
        keywords: &["ATATT3"],
        regex: r"\b(ATATT3[A-Za-z0-9_=-]{180,})",
        example: "ATATT3xFfGF0HDasK5l7XBfKeDnWw_b6KN23TcbcqeKvZCngh_8Gn8norA9GUUXSD_-s0JrWJiufla-kzw-9bLzQldNatJkBbmJliMRndQyvgqizEdvPUeAILDy2gH8Yqy5V_jlzpplwIvfIGi2HwXAtHjMGAviO5Eho0Zq_YldPQ1eQG1nWIFoHaFNYrCWX=LVP6S680",
        lookalike: "ATATT3xFfGF0",
    },
    Family {
        name: "vault_token",
        title: "HashiCorp Vault token",
        kind: Kind::Provider,
        keywords: &["hvs.", "hvb."],
        regex: r"\b(hv[sb]\.[A-Za-z0-9_-]{90,})",
        example: "hvs.RiQYLLtmDpiTBbqGJ5d4TrizMRIB1VzxplYYjK7Pg-P0OwVlmTNzshVTVcJZKKLVoL6iKuogKR81EsKOwDQvGGEBK85D",
        lookalike: "hvs.CAESI",
    },
    Family {
        name: "terraform_cloud_token",
        title: "Terraform Cloud API token",
        kind: Kind::Provider,
        keywords: &[".atlasv1."],
        regex: r"\b([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})",
        example: "gTpXcqeRrS8vAs.atlasv1.5filwbrlmk4xnzyahMAKe3mw2wLTOwHvMtkHcsJroDbU23NaWAsIm5X6lxs58LQ5YS0",
        lookalike: "app.atlasv1.example",
    },
    Family {
        name: "docker_hub_pat",
        title: "Docker Hub personal access token",
        kind: Kind::Provider,
        keywords: &["dckr_pat_"],
        regex: r"\b(dckr_pat_[A-Za-z0-9_-]{27})(?:[^A-Za-z0-9_-]|$)",
        example: "dckr_pat_noRG1Mn4g8n5oHJyCndBQlr5fs1",
        lookalike: "dckr_pat_",
    },
    Family {
        name: "planetscale_token",
        title: "PlanetScale token or password",
        kind: Kind::Provider,
        keywords: &["pscale_"],
        regex: r"\b(pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{32,64})",
        example: "pscale_tkn_ZsS9fHnLG5hiWIreJvCFABL5XN5Ak-zsshoYOtcPdBp",
        lookalike: "pscale_tkn_",
    },
    Family {
        name: "supabase_token",
        title: "Supabase access token",
        kind: Kind::Provider,
        keywords: &["sbp_"],
        regex: r"\b(sbp_[a-f0-9]{40})\b",
        example: "sbp_fa354667d9edae75bd77e926279169228afa0bf7",
        lookalike: "sbp_version",
    },
    Family {
        name: "buildkite_token",
        title: "Buildkite API token",
        kind: Kind::Provider,
        keywords: &["bkua_"],
        regex: r"\b(bkua_[a-f0-9]{40})\b",
        example: "bkua_da08d8ef65e010c2d956eccc598c751635ed36c3",
        lookalike: "bkua_",
    },
    Family {
        name: "mapbox_secret_token",
        title: "Mapbox secret token",
        kind: Kind::Provider,
        keywords: &["sk.eyJ"],
        regex: r"\b(sk\.eyJ[A-Za-z0-9_-]{50,}\.[A-Za-z0-9_-]{20,})",
        example: "sk.eyJ1Ijoi1lEFUVx0N73DFhfTYzeOrJvEHORT8hK7y4M6wvKabeh079ND4i.I9_9MNO_TDi4CX1G1JPUFQ",
        lookalike: "pk.eyJ1Ijoi1lEFUVx0N73DFhfTYzeOrJvEHORT8hK7y4M6wvKabeh079ND4i.I9_9MNO_TDi4CX1G1JPUFQ",
    },
    Family {
        name: "age_secret_key",
        title: "age secret key",
        kind: Kind::Provider,
        keywords: &["AGE-SECRET-KEY-1"],
        regex: r"\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b",
        example: "AGE-SECRET-KEY-1HS43EC8JDMJ40H7FERTYGGYQZQ6KYKGDNJF94XNTSV2ZUC7DE7JQHFNFZ0",
        lookalike: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    },
    Family {
        name: "jwt",
        title: "JSON Web Token",
        kind: Kind::Provider,
        keywords: &["eyJ"],
        regex: r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,})",
        example: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtYmlsbGluZyIsImlhdCI6MTczMjAwMDAwMH0.VOo17hGRTi7hoUe5dm0tGEYEoe5mvwPNbvR643bNM3b",
        lookalike: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    },
    Family {
        name: "private_key",
        title: "private key",
        kind: Kind::Provider,
        keywords: &["PRIVATE KEY-----"],
        regex: r"(-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----(?:\\[nr]|\s)*(?:[A-Za-z0-9-]+:[^\n]*(?:\\[nr]|\s)+)*[A-Za-z0-9+/=]{40})",
        example: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n",
        lookalike: "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n",
    },
    Family {
        name: "openssh_private_key",
        title: "OpenSSH private key",
        kind: Kind::Provider,
        keywords: &["OPENSSH PRIVATE KEY-----"],
        regex: r"(-----BEGIN OPENSSH PRIVATE KEY-----(?:\\[nr]|\s)*[A-Za-z0-9+/=]{40})",
        example: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n",
        lookalike: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host",
    },
    Family {
        name: "pgp_private_key",
        title: "PGP private key block",
        kind: Kind::Provider,
        keywords: &["PGP PRIVATE KEY BLOCK-----"],
        regex: r"(-----BEGIN PGP PRIVATE KEY BLOCK-----(?:\\[nr]|\s)*(?:[A-Za-z0-9-]+:[^\n]*(?:\\[nr]|\s)+)*[A-Za-z0-9+/=]{40})",
        example: "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGVr2q0BCADJx1nVw0Jm8u3Wq6yHzP5a0r4Jt7FzE1eYkq9mA2bXc8sLdTw\n",
        lookalike: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBGVr2q0BCADJx1nVw0Jm8u3Wq6yHzP5a0r4Jt7FzE1eYkq9mA2bXc8sLdTw\n",
    },
    Family {
        name: "putty_private_key",
        title: "PuTTY private key",
        kind: Kind::Provider,
        keywords: &["PuTTY-User-Key-File-"],
        regex: r"(PuTTY-User-Key-File-\d: [\s\S]{0,400}?Private-Lines: \d+(?:\\[nr]|\s)+[A-Za-z0-9+/=]{40})",
        example: "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLs\nPrivate-Lines: 1\nAAAAIFGR0cm9vdC1zZWNyZXQta2V5LWJ5dGVzLTEyMzQ1Njc4OTA\n",
        lookalike: "PuTTY-User-Key-File-3: ssh-ed25519\nPublic-Lines: 2\n",
    },
    Family {
        name: "url_credentials",
        title: "password in a URL",
        kind: Kind::UrlCredentials,
        keywords: &["://"],
        regex: r"\b[A-Za-z][A-Za-z0-9+.-]{1,30}://([^\s:/?#@'`<>{}]*):([^\s/?#@'`<>]+)@[A-Za-z0-9\[]",
        example: "postgres://billing:Xk9v2LqT7wPz@db.internal:5432/billing",
        lookalike: "postgres://billing@db.internal:5432/billing",
    },
];

/// A secret found in a text.
#[derive(Debug, Clone)]
pub struct Found {
    pub family: &'static Family,
    /// Byte range of the secret in the text.
    pub range: Range<usize>,
}

struct Detector {
    keywords: AhoCorasick,
    /// The family of each keyword.
    keyword_family: Vec<usize>,
    /// Families without keywords, run on every text.
    always: Vec<usize>,
    regexes: Vec<Regex>,
}

static DETECTOR: LazyLock<Detector> = LazyLock::new(|| {
    let mut patterns = Vec::new();
    let mut keyword_family = Vec::new();
    let mut always = Vec::new();
    for (i, family) in FAMILIES.iter().enumerate() {
        if family.keywords.is_empty() {
            always.push(i);
        }
        for k in family.keywords {
            patterns.push(*k);
            keyword_family.push(i);
        }
    }
    Detector {
        keywords: AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&patterns)
            .expect("keywords build"),
        keyword_family,
        always,
        regexes: FAMILIES
            .iter()
            .map(|f| Regex::new(f.regex).expect("family regex compiles"))
            .collect(),
    }
});

/// The shortest text a family without keywords can match.
const MIN_UNKEYED_LEN: usize = 59;

/// Secrets of every family in `text`, not overlapping, in text order.
pub fn find(text: &str) -> Vec<Found> {
    let d = &*DETECTOR;
    let mut candidates: Vec<usize> = Vec::new();
    for m in d.keywords.find_overlapping_iter(text) {
        let family = d.keyword_family[m.pattern().as_usize()];
        if !candidates.contains(&family) {
            candidates.push(family);
        }
    }
    if text.len() >= MIN_UNKEYED_LEN && text.contains('.') {
        candidates.extend(d.always.iter().copied());
    }
    let mut found: Vec<Found> = Vec::new();
    for family in candidates {
        for caps in d.regexes[family].captures_iter(text) {
            let family = &FAMILIES[family];
            let m = if family.kind == Kind::UrlCredentials {
                // user (group 1) and password (group 2)
                let (Some(user), Some(password)) = (caps.get(1), caps.get(2)) else {
                    continue;
                };
                if user.as_str() == password.as_str()
                    || !crate::rules::config::secret_values::plausible_password(password.as_str())
                {
                    continue;
                }
                password
            } else {
                let Some(m) = caps.iter().skip(1).flatten().next().or_else(|| caps.get(0)) else {
                    continue;
                };
                if !plausible(m.as_str()) {
                    continue;
                }
                m
            };
            let range = m.range();
            if found
                .iter()
                .any(|f| f.range.start < range.end && range.start < f.range.end)
            {
                continue;
            }
            found.push(Found { family, range });
        }
    }
    found.sort_by_key(|f| f.range.start);
    found
}

/// Documented values and placeholders in the shape of a token.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "example",
    "xxxx",
    "0000000",
    "****",
    "sample",
    "dummy",
    "placeholder",
    "your_",
    "your-",
    "yourkey",
    "redacted",
    "changeme",
    "...",
];

/// Whether a match is a credential rather than a placeholder in its shape.
fn plausible(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    if PLACEHOLDER_MARKERS.iter().any(|m| lower.contains(m)) {
        return false;
    }
    if crate::rules::config::secret_values::KNOWN_PUBLIC_VALUES
        .iter()
        .any(|s| secret.contains(s))
    {
        return false;
    }
    // A run of one character, or very few distinct characters, is a mask.
    let mut distinct: Vec<char> = secret.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    distinct.len() >= 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_forty_families() {
        assert!(FAMILIES.len() >= 40, "{}", FAMILIES.len());
        let mut names: Vec<_> = FAMILIES.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FAMILIES.len(), "family names are unique");
    }

    #[test]
    fn every_family_finds_its_example() {
        for family in FAMILIES {
            let found = find(family.example);
            assert!(
                found.iter().any(|f| f.family.name == family.name),
                "{} does not find its example: {found:?}",
                family.name
            );
        }
    }

    #[test]
    fn no_family_finds_a_lookalike() {
        for family in FAMILIES {
            let found = find(family.lookalike);
            assert!(
                found.is_empty(),
                "{}'s look-alike {:?} is found as {:?}",
                family.name,
                family.lookalike,
                found.iter().map(|f| f.family.name).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn every_family_has_keywords_or_a_long_minimum() {
        for family in FAMILIES.iter().filter(|f| f.keywords.is_empty()) {
            assert!(family.example.len() >= MIN_UNKEYED_LEN, "{}", family.name);
        }
    }

    #[test]
    fn finds_secrets_inside_longer_text_with_ranges() {
        let text = "token = \"ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw\" # deploy";
        let found = find(text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            &text[found[0].range.clone()],
            "ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw"
        );
    }

    #[test]
    fn url_password_range_is_the_password() {
        let text = "DATABASE_URL=postgres://app:Xk9v2LqT7wPz@db:5432/app";
        let found = find(text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].range.clone()], "Xk9v2LqT7wPz");
    }

    #[test]
    fn url_placeholders_are_not_credentials() {
        for text in [
            "postgres://postgres:password@localhost/db",
            "redis://:${REDIS_PASSWORD}@cache:6379",
            "amqp://guest:<password>@rabbit",
            "https://{}:{}@{}",
            "mysql://user:pass@localhost/test",
            "postgres://user:@host/db",
            "https://user:****@example.com",
            "http://[::1]:8080/path",
            "git+ssh://git@github.com/org/repo.git",
            "postgres://app:$DB_PASSWORD@db/app",
            "postgres://postgres:postgres@localhost/db",
            "http://Aladdin:opensesame@proxy.example",
        ] {
            assert!(find(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn jwt_io_example_is_not_a_secret() {
        let text = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        assert!(find(text).is_empty());
    }

    #[test]
    fn certificates_and_public_keys_are_not_secrets() {
        let text = "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----";
        assert!(find(text).is_empty());
        let docs = "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----";
        assert!(find(docs).is_empty());
    }
}
