//! Entity types, groups and the `Finding` every detector produces.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// A built-in entity type. Names (`as_str`) are the wire names: the Go service's eleven keep their
/// names and meaning; the rest are additions (see `docs/divergences-from-go.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityType {
    // --- PII (the Go service's, then ours) ---
    Email,
    Phone,
    Ssn,
    CreditCard,
    IpAddress,
    Ipv6,
    MacAddress,
    Iban,
    Date,
    DateOfBirth,
    ZipCode,
    Address,
    Person,
    Organization,
    Location,
    // --- secrets ---
    /// Generic keyed secret (`api_key=...`, `token: ...`, `secret=...`) with a high-entropy value.
    ApiKey,
    AwsAccessKey,
    AwsSecretKey,
    GithubToken,
    GitlabToken,
    SlackToken,
    SlackWebhook,
    StripeKey,
    OpenaiKey,
    AnthropicKey,
    GoogleApiKey,
    NpmToken,
    SendgridKey,
    Jwt,
    PrivateKey,
    UrlCredentials,
    PasswordAssignment,
    BearerToken,
}

/// Entity groups a policy may name instead of a type.
pub const GROUPS: [&str; 3] = ["secret", "pii", "any"];

impl EntityType {
    /// Every built-in type, PII first, then secrets.
    pub const ALL: [EntityType; 33] = [
        EntityType::Email,
        EntityType::Phone,
        EntityType::Ssn,
        EntityType::CreditCard,
        EntityType::IpAddress,
        EntityType::Ipv6,
        EntityType::MacAddress,
        EntityType::Iban,
        EntityType::Date,
        EntityType::DateOfBirth,
        EntityType::ZipCode,
        EntityType::Address,
        EntityType::Person,
        EntityType::Organization,
        EntityType::Location,
        EntityType::ApiKey,
        EntityType::AwsAccessKey,
        EntityType::AwsSecretKey,
        EntityType::GithubToken,
        EntityType::GitlabToken,
        EntityType::SlackToken,
        EntityType::SlackWebhook,
        EntityType::StripeKey,
        EntityType::OpenaiKey,
        EntityType::AnthropicKey,
        EntityType::GoogleApiKey,
        EntityType::NpmToken,
        EntityType::SendgridKey,
        EntityType::Jwt,
        EntityType::PrivateKey,
        EntityType::UrlCredentials,
        EntityType::PasswordAssignment,
        EntityType::BearerToken,
    ];

    /// The eleven types the Go service knows (its policy validation accepts only these).
    pub const GO: [EntityType; 11] = [
        EntityType::Email,
        EntityType::Phone,
        EntityType::Ssn,
        EntityType::ApiKey,
        EntityType::CreditCard,
        EntityType::IpAddress,
        EntityType::Date,
        EntityType::ZipCode,
        EntityType::Person,
        EntityType::Organization,
        EntityType::Location,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EntityType::Email => "email",
            EntityType::Phone => "phone",
            EntityType::Ssn => "ssn",
            EntityType::CreditCard => "credit_card",
            EntityType::IpAddress => "ip_address",
            EntityType::Ipv6 => "ipv6",
            EntityType::MacAddress => "mac_address",
            EntityType::Iban => "iban",
            EntityType::Date => "date",
            EntityType::DateOfBirth => "date_of_birth",
            EntityType::ZipCode => "zip_code",
            EntityType::Address => "address",
            EntityType::Person => "person",
            EntityType::Organization => "organization",
            EntityType::Location => "location",
            EntityType::ApiKey => "api_key",
            EntityType::AwsAccessKey => "aws_access_key",
            EntityType::AwsSecretKey => "aws_secret_key",
            EntityType::GithubToken => "github_token",
            EntityType::GitlabToken => "gitlab_token",
            EntityType::SlackToken => "slack_token",
            EntityType::SlackWebhook => "slack_webhook",
            EntityType::StripeKey => "stripe_key",
            EntityType::OpenaiKey => "openai_key",
            EntityType::AnthropicKey => "anthropic_key",
            EntityType::GoogleApiKey => "google_api_key",
            EntityType::NpmToken => "npm_token",
            EntityType::SendgridKey => "sendgrid_key",
            EntityType::Jwt => "jwt",
            EntityType::PrivateKey => "private_key",
            EntityType::UrlCredentials => "url_credentials",
            EntityType::PasswordAssignment => "password_assignment",
            EntityType::BearerToken => "bearer_token",
        }
    }

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

    /// Exact wire name (the hot path: every built-in finding carries one). A `match` on the
    /// string compiles to length + memcmp checks, far cheaper than the case-insensitive scan.
    pub fn from_wire(name: &str) -> Option<EntityType> {
        Some(match name {
            "email" => EntityType::Email,
            "phone" => EntityType::Phone,
            "ssn" => EntityType::Ssn,
            "credit_card" => EntityType::CreditCard,
            "ip_address" => EntityType::IpAddress,
            "ipv6" => EntityType::Ipv6,
            "mac_address" => EntityType::MacAddress,
            "iban" => EntityType::Iban,
            "date" => EntityType::Date,
            "date_of_birth" => EntityType::DateOfBirth,
            "zip_code" => EntityType::ZipCode,
            "address" => EntityType::Address,
            "person" => EntityType::Person,
            "organization" => EntityType::Organization,
            "location" => EntityType::Location,
            "api_key" => EntityType::ApiKey,
            "aws_access_key" => EntityType::AwsAccessKey,
            "aws_secret_key" => EntityType::AwsSecretKey,
            "github_token" => EntityType::GithubToken,
            "gitlab_token" => EntityType::GitlabToken,
            "slack_token" => EntityType::SlackToken,
            "slack_webhook" => EntityType::SlackWebhook,
            "stripe_key" => EntityType::StripeKey,
            "openai_key" => EntityType::OpenaiKey,
            "anthropic_key" => EntityType::AnthropicKey,
            "google_api_key" => EntityType::GoogleApiKey,
            "npm_token" => EntityType::NpmToken,
            "sendgrid_key" => EntityType::SendgridKey,
            "jwt" => EntityType::Jwt,
            "private_key" => EntityType::PrivateKey,
            "url_credentials" => EntityType::UrlCredentials,
            "password_assignment" => EntityType::PasswordAssignment,
            "bearer_token" => EntityType::BearerToken,
            _ => return None,
        })
    }

    /// Credentials and keys. `api_key` in a policy matches every secret type.
    pub const fn is_secret(self) -> bool {
        (self as u8) >= (EntityType::ApiKey as u8)
    }

    /// Personal data (every non-secret type).
    pub const fn is_pii(self) -> bool {
        !self.is_secret()
    }

    /// Heuristic NER types (the Go phase-2 recogniser).
    pub const fn is_ner(self) -> bool {
        matches!(
            self,
            EntityType::Person | EntityType::Organization | EntityType::Location
        )
    }

    /// Overlap strength: a finding contained in a finding of a stronger type is dropped
    /// (no phone inside a card number, no email inside URL credentials).
    /// 4: secrets with a distinctive prefix or structure; 3: keyed/generic secrets;
    /// 2: validated structured PII; 1: weakly structured PII; 0: heuristic NER.
    pub const fn strength(self) -> u8 {
        match self {
            EntityType::PrivateKey
            | EntityType::Jwt
            | EntityType::AwsAccessKey
            | EntityType::GithubToken
            | EntityType::GitlabToken
            | EntityType::SlackToken
            | EntityType::SlackWebhook
            | EntityType::StripeKey
            | EntityType::OpenaiKey
            | EntityType::AnthropicKey
            | EntityType::GoogleApiKey
            | EntityType::NpmToken
            | EntityType::SendgridKey
            | EntityType::UrlCredentials => 4,
            EntityType::ApiKey
            | EntityType::AwsSecretKey
            | EntityType::PasswordAssignment
            | EntityType::BearerToken => 3,
            EntityType::Email
            | EntityType::CreditCard
            | EntityType::Iban
            | EntityType::Ssn
            | EntityType::IpAddress
            | EntityType::Ipv6
            | EntityType::MacAddress
            | EntityType::DateOfBirth => 2,
            EntityType::Phone | EntityType::Date | EntityType::ZipCode | EntityType::Address => 1,
            EntityType::Person | EntityType::Organization | EntityType::Location => 0,
        }
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
    }
}
