//! Entity types, groups and the `Finding` every detector produces.
//!
//! Every built-in type is declared once, in the `entity_types!` table below: its wire name,
//! group, overlap strength, whether the Go service knows it, a title, a one-sentence description
//! and (for secrets) the fixed, publicly documented vendor prefixes its values start with. The
//! enum, [`EntityType::ALL`], [`EntityType::GO`] and every accessor are generated from it, so a new
//! type is one row (plus its detector).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Generates [`EntityType`] and its accessors from one row per type. Row order is the enum's
/// order, `ALL`'s order and the derived `Ord`: PII first, then secrets.
macro_rules! entity_types {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident {
            name: $name:literal,
            group: $group:ident,
            strength: $strength:literal,
            go: $go:literal,
            title: $title:literal,
            description: $description:literal,
            prefixes: [$($prefix:literal),* $(,)?] $(,)?
        }
    ),* $(,)?) => {
        /// A built-in entity type. Names (`as_str`) are the wire names: the Go service's eleven
        /// keep their names and meaning; the rest are additions (see
        /// `docs/divergences-from-go.md`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EntityType {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl EntityType {
            /// Every built-in type, PII first, then secrets (the table's order).
            pub const ALL: [EntityType; entity_types!(@count $($variant)*)] =
                [$(EntityType::$variant),*];

            /// The wire name.
            pub const fn as_str(self) -> &'static str {
                match self { $(EntityType::$variant => $name,)* }
            }

            /// Exact wire name (the hot path: every built-in finding carries one). A `match` on
            /// the string compiles to length + memcmp checks, far cheaper than the
            /// case-insensitive scan.
            pub fn from_wire(name: &str) -> Option<EntityType> {
                Some(match name {
                    $($name => EntityType::$variant,)*
                    _ => return None,
                })
            }

            /// The group a policy may name for this type: `secret` or `pii`.
            pub const fn group(self) -> &'static str {
                match self { $(EntityType::$variant => stringify!($group),)* }
            }

            /// Credentials and keys. `api_key` in a policy matches every secret type.
            pub const fn is_secret(self) -> bool {
                match self { $(EntityType::$variant => entity_types!(@secret $group),)* }
            }

            /// One of the eleven types the Go service knows (its policy validation accepts only
            /// these).
            pub const fn is_go(self) -> bool {
                match self { $(EntityType::$variant => $go,)* }
            }

            /// Overlap strength: a finding contained in a finding of a stronger type is dropped
            /// (no phone inside a card number, no email inside URL credentials).
            /// 4: secrets with a distinctive prefix or structure; 3: keyed/generic secrets;
            /// 2: validated structured PII; 1: weakly structured PII; 0: heuristic NER.
            pub const fn strength(self) -> u8 {
                match self { $(EntityType::$variant => $strength,)* }
            }

            /// A short human title (`Stripe key`), as SARIF's `shortDescription` shows it.
            pub const fn title(self) -> &'static str {
                match self { $(EntityType::$variant => $title,)* }
            }

            /// One sentence saying what the type is.
            pub const fn description(self) -> &'static str {
                match self { $(EntityType::$variant => $description,)* }
            }

            /// The fixed, publicly documented prefixes of this provider's credentials (`ghp_`,
            /// `sk_live_`, `AKIA`, the PEM armour line, ...); empty for PII and generic secrets.
            /// A prefix tells a live key from a test key and reveals nothing of the random part.
            pub const fn prefixes(self) -> &'static [&'static str] {
                match self { $(EntityType::$variant => &[$($prefix),*],)* }
            }
        }
    };
    (@count) => { 0usize };
    (@count $head:ident $($tail:ident)*) => { 1usize + entity_types!(@count $($tail)*) };
    (@secret secret) => { true };
    (@secret pii) => { false };
}

entity_types! {
    // --- PII (the Go service's, then ours) ---
    Email {
        name: "email", group: pii, strength: 2, go: true,
        title: "Email address",
        description: "An email address (`name@example.com`).",
        prefixes: [],
    },
    Phone {
        name: "phone", group: pii, strength: 1, go: true,
        title: "Phone number",
        description: "A telephone number in national or international notation.",
        prefixes: [],
    },
    Ssn {
        name: "ssn", group: pii, strength: 2, go: true,
        title: "US Social Security number",
        description: "A US Social Security number (`123-45-6789`).",
        prefixes: [],
    },
    CreditCard {
        name: "credit_card", group: pii, strength: 2, go: true,
        title: "Payment card number",
        description: "A payment card number that passes the Luhn check.",
        prefixes: [],
    },
    IpAddress {
        name: "ip_address", group: pii, strength: 2, go: true,
        title: "IPv4 address",
        description: "An IPv4 address in dotted-decimal notation.",
        prefixes: [],
    },
    Ipv6 {
        name: "ipv6", group: pii, strength: 2, go: false,
        title: "IPv6 address",
        description: "An IPv6 address in RFC 4291 text form.",
        prefixes: [],
    },
    MacAddress {
        name: "mac_address", group: pii, strength: 2, go: false,
        title: "MAC address",
        description: "A network hardware (MAC) address of six hex pairs.",
        prefixes: [],
    },
    Iban {
        name: "iban", group: pii, strength: 2, go: false,
        title: "IBAN bank account number",
        description: "An international bank account number whose mod-97 check digits are valid.",
        prefixes: [],
    },
    Date {
        name: "date", group: pii, strength: 1, go: true,
        title: "Date",
        description: "A calendar date in a numeric or written-out format.",
        prefixes: [],
    },
    DateOfBirth {
        name: "date_of_birth", group: pii, strength: 2, go: false,
        title: "Date of birth",
        description: "A date preceded by birth context such as `DOB` or `born`.",
        prefixes: [],
    },
    ZipCode {
        name: "zip_code", group: pii, strength: 1, go: true,
        title: "Postal code",
        description: "A postal code such as a US ZIP code.",
        prefixes: [],
    },
    Address {
        name: "address", group: pii, strength: 1, go: false,
        title: "Street address",
        description: "A street address with a house number and a street name.",
        prefixes: [],
    },
    Person {
        name: "person", group: pii, strength: 0, go: true,
        title: "Person name",
        description: "A person's name, found heuristically.",
        prefixes: [],
    },
    Organization {
        name: "organization", group: pii, strength: 0, go: true,
        title: "Organization name",
        description: "An organization's name, found heuristically.",
        prefixes: [],
    },
    Location {
        name: "location", group: pii, strength: 0, go: true,
        title: "Location name",
        description: "A place name, found heuristically.",
        prefixes: [],
    },
    // --- secrets ---
    /// Generic keyed secret (`api_key=...`, `token: ...`, `secret=...`) with a high-entropy value.
    ApiKey {
        name: "api_key", group: secret, strength: 3, go: true,
        title: "Generic API key or token",
        description: "A high-entropy value assigned to a key such as `api_key`, `token` or `secret`.",
        prefixes: [],
    },
    AwsAccessKey {
        name: "aws_access_key", group: secret, strength: 4, go: false,
        title: "AWS access key id",
        description: "An AWS access key id (`AKIA...`, `ASIA...`).",
        prefixes: ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ASCA"],
    },
    AwsSecretKey {
        name: "aws_secret_key", group: secret, strength: 3, go: false,
        title: "AWS secret access key",
        description: "An AWS secret access key assigned to an AWS secret key name.",
        prefixes: [],
    },
    GithubToken {
        name: "github_token", group: secret, strength: 4, go: false,
        title: "GitHub token",
        description: "A GitHub personal access, OAuth, app or refresh token.",
        prefixes: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
    },
    GitlabToken {
        name: "gitlab_token", group: secret, strength: 4, go: false,
        title: "GitLab token",
        description: "A GitLab personal, pipeline trigger, deploy or runner token.",
        prefixes: ["glpat-", "glptt-", "gldt-", "glrt-"],
    },
    SlackToken {
        name: "slack_token", group: secret, strength: 4, go: false,
        title: "Slack token",
        description: "A Slack bot, user, app or configuration token.",
        prefixes: ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xapp-"],
    },
    SlackWebhook {
        name: "slack_webhook", group: secret, strength: 4, go: false,
        title: "Slack incoming webhook URL",
        description: "A Slack incoming webhook URL, which lets anyone post to a channel.",
        prefixes: ["https://hooks.slack.com/"],
    },
    StripeKey {
        name: "stripe_key", group: secret, strength: 4, go: false,
        title: "Stripe key",
        description: "A Stripe secret, restricted or publishable key, or a webhook signing secret.",
        prefixes: ["sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "pk_test_", "whsec_"],
    },
    OpenaiKey {
        name: "openai_key", group: secret, strength: 4, go: false,
        title: "OpenAI API key",
        description: "An OpenAI API key (project, service account, admin or legacy).",
        prefixes: ["sk-proj-", "sk-svcacct-", "sk-admin-", "sk-"],
    },
    AnthropicKey {
        name: "anthropic_key", group: secret, strength: 4, go: false,
        title: "Anthropic API key",
        description: "An Anthropic API key.",
        prefixes: ["sk-ant-"],
    },
    GoogleApiKey {
        name: "google_api_key", group: secret, strength: 4, go: false,
        title: "Google API key",
        description: "A Google Cloud or Firebase API key.",
        prefixes: ["AIza"],
    },
    NpmToken {
        name: "npm_token", group: secret, strength: 4, go: false,
        title: "npm access token",
        description: "An npm registry access token.",
        prefixes: ["npm_"],
    },
    SendgridKey {
        name: "sendgrid_key", group: secret, strength: 4, go: false,
        title: "SendGrid API key",
        description: "A SendGrid API key.",
        prefixes: ["SG."],
    },
    Jwt {
        name: "jwt", group: secret, strength: 4, go: false,
        title: "JSON Web Token",
        description: "A JSON Web Token (header, payload and signature in base64url).",
        prefixes: ["eyJ"],
    },
    PrivateKey {
        name: "private_key", group: secret, strength: 4, go: false,
        title: "Private key (PEM)",
        description: "A PEM-armoured private key block.",
        // The armour line is not secret.
        prefixes: [
            "-----BEGIN PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----",
            "-----BEGIN EC PRIVATE KEY-----",
            "-----BEGIN DSA PRIVATE KEY-----",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----",
            "-----BEGIN PGP PRIVATE KEY BLOCK-----",
        ],
    },
    UrlCredentials {
        name: "url_credentials", group: secret, strength: 4, go: false,
        title: "Credentials in a URL",
        description: "A user name and password embedded in a URL (`scheme://user:pass@host`).",
        prefixes: [],
    },
    PasswordAssignment {
        name: "password_assignment", group: secret, strength: 3, go: false,
        title: "Password assigned in code or config",
        description: "A literal value assigned to a password key in code or configuration.",
        prefixes: [],
    },
    BearerToken {
        name: "bearer_token", group: secret, strength: 3, go: false,
        title: "Bearer token",
        description: "A token sent in an HTTP `Authorization: Bearer` header.",
        prefixes: [],
    },
}

/// Entity groups a policy may name instead of a type.
pub const GROUPS: [&str; 3] = ["secret", "pii", "any"];

impl EntityType {
    /// The eleven types the Go service knows (its policy validation accepts only these), in
    /// [`EntityType::ALL`] order.
    #[expect(
        clippy::indexing_slicing,
        reason = "evaluated at compile time: an index out of bounds is a build error"
    )]
    pub const GO: [EntityType; 11] = {
        let mut out = [EntityType::Email; 11];
        let mut n = 0;
        let mut i = 0;
        while i < EntityType::ALL.len() {
            let t = EntityType::ALL[i];
            if t.is_go() {
                out[n] = t;
                n += 1;
            }
            i += 1;
        }
        // A wrong count is a compile error (index out of bounds above, or this assertion).
        assert!(
            n == 11,
            "the table marks a number of Go types other than 11"
        );
        out
    };

    /// Parse a wire name (trimmed, ASCII case-insensitive).
    pub fn parse(name: &str) -> Option<EntityType> {
        if let Some(t) = EntityType::from_wire(name) {
            return Some(t);
        }
        let name = name.trim();
        EntityType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(name))
    }

    /// Personal data (every non-secret type).
    pub const fn is_pii(self) -> bool {
        !self.is_secret()
    }

    /// Heuristic NER types (the Go phase-2 recogniser): the types of strength 0.
    pub const fn is_ner(self) -> bool {
        self.strength() == 0
    }

    /// Every type's [`prefixes`](EntityType::prefixes), in table order.
    pub fn vendor_prefixes() -> impl Iterator<Item = &'static str> {
        EntityType::ALL
            .into_iter()
            .flat_map(|t| t.prefixes().iter().copied())
    }
}

impl std::fmt::Display for EntityType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One detected entity: a half-open byte range `[start, end)` of the scanned text.
/// The matched text is not stored: callers slice it from the text when (and only when) they
/// are allowed to show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Built-in wire name (`EntityType::as_str`) or the name of a policy custom detector.
    pub entity_type: Cow<'static, str>,
    pub start: usize,
    pub end: usize,
    pub confidence: f64,
}

impl Finding {
    pub fn new(entity_type: EntityType, start: usize, end: usize, confidence: f64) -> Finding {
        Finding {
            entity_type: Cow::Borrowed(entity_type.as_str()),
            start,
            end,
            confidence,
        }
    }

    /// The built-in type, or `None` for a custom detector's finding.
    pub fn builtin(&self) -> Option<EntityType> {
        EntityType::parse(&self.entity_type)
    }

    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for t in EntityType::ALL {
            assert_eq!(EntityType::parse(t.as_str()), Some(t));
            assert_eq!(EntityType::from_wire(t.as_str()), Some(t));
            assert!(seen.insert(t.as_str()));
        }
        assert_eq!(EntityType::parse(" EMAIL "), Some(EntityType::Email));
        assert_eq!(EntityType::parse("ssnn"), None);
    }

    #[test]
    fn secret_partition() {
        assert!(EntityType::ApiKey.is_secret());
        assert!(EntityType::BearerToken.is_secret());
        assert!(EntityType::Location.is_pii());
        assert!(!EntityType::Email.is_secret());
        assert_eq!(EntityType::ALL.iter().filter(|t| t.is_secret()).count(), 18);
        // PII first, then secrets.
        let first_secret = EntityType::ALL.iter().position(|t| t.is_secret()).unwrap();
        assert!(
            EntityType::ALL[first_secret..]
                .iter()
                .all(|t| t.is_secret())
        );
        assert_eq!(EntityType::ALL[first_secret], EntityType::ApiKey);
    }

    #[test]
    fn table_invariants() {
        let mut prefixes = std::collections::HashSet::new();
        for (i, t) in EntityType::ALL.into_iter().enumerate() {
            // `ALL` is in declaration order, so it agrees with the derived `Ord`.
            assert_eq!(t as usize, i);
            let name = t.as_str();
            assert!(
                !name.is_empty()
                    && !name.starts_with('_')
                    && !name.ends_with('_')
                    && !name.contains("__")
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "`{name}` is not lowercase snake_case"
            );
            assert_eq!(EntityType::parse(&name.to_ascii_uppercase()), Some(t));
            assert_eq!(t.group(), if t.is_secret() { "secret" } else { "pii" });
            assert!(GROUPS.contains(&t.group()));
            assert!(t.strength() <= 4, "{name}");
            assert!(!t.title().trim().is_empty(), "{name} has no title");
            let d = t.description();
            assert!(
                d.len() > t.title().len() && d.ends_with('.') && d.starts_with(char::is_uppercase),
                "{name}: the description is not one sentence: {d:?}"
            );
            assert!(
                t.prefixes().is_empty() || t.is_secret(),
                "{name}: only secrets have vendor prefixes"
            );
            for p in t.prefixes() {
                assert!(!p.is_empty() && p.is_ascii(), "{name}: prefix {p:?}");
                assert!(prefixes.insert(*p), "prefix {p:?} is declared twice");
            }
        }
        assert_eq!(EntityType::vendor_prefixes().count(), prefixes.len());
        // Secrets without a fixed prefix are the keyed/generic ones (and URL credentials).
        for t in [
            EntityType::ApiKey,
            EntityType::AwsSecretKey,
            EntityType::PasswordAssignment,
            EntityType::BearerToken,
            EntityType::UrlCredentials,
        ] {
            assert!(t.prefixes().is_empty(), "{t}");
        }
    }

    #[test]
    fn strengths_and_go_types_are_unchanged() {
        let by_strength = |s: u8| -> Vec<&str> {
            EntityType::ALL
                .into_iter()
                .filter(|t| t.strength() == s)
                .map(EntityType::as_str)
                .collect()
        };
        assert_eq!(by_strength(0), ["person", "organization", "location"]);
        assert_eq!(by_strength(1), ["phone", "date", "zip_code", "address"]);
        assert_eq!(
            by_strength(2),
            [
                "email",
                "ssn",
                "credit_card",
                "ip_address",
                "ipv6",
                "mac_address",
                "iban",
                "date_of_birth"
            ]
        );
        assert_eq!(
            by_strength(3),
            [
                "api_key",
                "aws_secret_key",
                "password_assignment",
                "bearer_token"
            ]
        );
        assert_eq!(by_strength(4).len(), 14);
        let ner: Vec<EntityType> = EntityType::ALL.into_iter().filter(|t| t.is_ner()).collect();
        assert_eq!(
            ner,
            [
                EntityType::Person,
                EntityType::Organization,
                EntityType::Location
            ]
        );
        let go: Vec<&str> = EntityType::GO.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            go,
            [
                "email",
                "phone",
                "ssn",
                "credit_card",
                "ip_address",
                "date",
                "zip_code",
                "person",
                "organization",
                "location",
                "api_key"
            ]
        );
    }

    /// Issue 8: an entity type is declared once, in the table; `ALL` holds one entry per row and
    /// the policy format's list of entity names names every type.
    #[test]
    fn issue_8_every_type_is_in_the_table_and_the_docs() {
        // Every variant is a row: the discriminants are exactly 0..ALL.len().
        assert_eq!(EntityType::ALL.len(), EntityType::BearerToken as usize + 1);
        let distinct: std::collections::HashSet<EntityType> = EntityType::ALL.into_iter().collect();
        assert_eq!(distinct.len(), EntityType::ALL.len());

        let doc = include_str!("../../docs/policy-format.md");
        let section = doc
            .split("### Entity names")
            .nth(1)
            .and_then(|s| s.split("- a group:").next())
            .expect("docs/policy-format.md has an `### Entity names` section");
        for t in EntityType::ALL {
            assert!(
                section.contains(&format!("`{}`", t.as_str())),
                "docs/policy-format.md (Entity names) does not list `{t}`"
            );
        }
        let go = section
            .split("Go's eleven (")
            .nth(1)
            .and_then(|s| s.split(')').next())
            .expect("the docs list Go's eleven");
        for t in EntityType::ALL {
            assert_eq!(
                go.contains(&format!("`{}`", t.as_str())),
                t.is_go(),
                "docs/policy-format.md: Go's eleven vs `is_go` for `{t}`"
            );
        }
    }
}
